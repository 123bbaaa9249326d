#include "state/recorded_run.h"

#include <boost/filesystem/operations.hpp>

#include <utility>

namespace wsa::state {

namespace {
constexpr std::size_t kMessageLimit = 500;  // one line in `status`, not a log
}

RecordedRun RecordedRun::begin(Ledger& ledger, const RunRecord& record, bool record_it) {
  if (!record_it) {
    RecordedRun run(nullptr, 0);
    run.finished_ = true;
    return run;
  }
  return RecordedRun(&ledger, value_or_throw(ledger.begin_run(record)));
}

RecordedRun::RecordedRun(RecordedRun&& other) noexcept
    : ledger_(other.ledger_),
      id_(other.id_),
      files_(other.files_),
      bytes_(other.bytes_),
      finished_(std::exchange(other.finished_, true)) {}

RecordedRun::~RecordedRun() {
  if (!finished_) fail(Error{ExitCode::kOperational, "", "ended by an unexpected error", ""});
}

void RecordedRun::count(std::uint64_t files, std::uint64_t bytes) {
  files_ = files;
  bytes_ = bytes;
}

void RecordedRun::finish(RunStatus status, const std::string& manifest_sha256, const std::string& message) {
  finished_ = true;
  if (ledger_ == nullptr) return;
  value_or_throw(
      ledger_->finish_run(id_, status, manifest_sha256, message.substr(0, kMessageLimit), files_, bytes_));
}

void RecordedRun::fail(const Error& error) noexcept {
  if (finished_) return;
  finished_ = true;
  if (ledger_ == nullptr) return;
  auto status = error.code == ExitCode::kWsusutil ? RunStatus::kWsusutilFailed : RunStatus::kFailed;
  try {
    (void)ledger_->finish_run(id_, status, "", error.why.substr(0, kMessageLimit), files_, bytes_);
  } catch (...) {
    // The error being reported matters more than the journal line about it.
  }
}

std::vector<RunRecord> close_interrupted_runs(Ledger& ledger, RunKind kind, const std::string& message) {
  std::vector<RunRecord> closed;
  for (auto& run : value_or_throw(ledger.interrupted_runs())) {
    if (run.kind != kind) continue;
    value_or_throw(ledger.finish_run(run.id, RunStatus::kInterrupted, "", message, run.files, run.bytes));
    closed.push_back(std::move(run));
  }
  return closed;
}

boost::filesystem::path logs_folder(const boost::filesystem::path& ledger_file) {
  boost::filesystem::path folder = ledger_file.parent_path() / "logs";
  boost::system::error_code ec;
  boost::filesystem::create_directories(folder, ec);
  return folder;
}

}  // namespace wsa::state
