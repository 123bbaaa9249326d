#include "state/run_journal.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include <fmt/format.h>

namespace wsa::state {

namespace {

constexpr const char* kRunColumns =
    "id, kind, source_id, sequence, manifest_sha256, mode, package_dir, status, started, finished, message, "
    "files, bytes";

std::optional<RunKind> parse_kind(std::string_view text) {
  for (RunKind kind : {RunKind::kExport, RunKind::kImport}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<RunStatus> parse_status(std::string_view text) {
  for (RunStatus status : {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed,
                           RunStatus::kGapsRemain, RunStatus::kWsusutilFailed, RunStatus::kInterrupted}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

// The journal's message is shown on one line by `history`.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

Result<RunRecord> read_run(const sqlite::Statement& row, const fs::path& file) {
  RunRecord record;
  record.id = row.get<std::int64_t>(0);
  auto kind = row.get<std::string>(1);
  auto status = row.get<std::string>(7);
  auto parsed_kind = parse_kind(kind);
  auto parsed_status = parse_status(status);
  if (!parsed_kind || !parsed_status) {
    return make_error(ExitCode::kOperational, file.string(),
                      fmt::format("is not a wsus-airgap ledger: run {} has kind '{}' and status '{}'",
                                  record.id, kind, status),
                      sqlite::kNotALedgerHint);
  }
  record.kind = *parsed_kind;
  record.source_id = row.get<std::string>(2);
  record.sequence = row.get<std::uint64_t>(3);
  record.manifest_sha256 = row.get<std::string>(4);
  record.mode = row.get<std::string>(5);
  record.package_dir = row.get<std::string>(6);
  record.status = *parsed_status;
  record.started_utc = row.get<std::string>(8);
  record.finished_utc = row.get<std::string>(9);
  record.message = row.get<std::string>(10);
  record.files = row.get<std::uint64_t>(11);
  record.bytes = row.get<std::uint64_t>(12);
  return record;
}

}  // namespace

const char* to_string(RunKind kind) {
  switch (kind) {
    case RunKind::kExport:
      return "export";
    case RunKind::kImport:
      return "import";
  }
  return "unknown";
}

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kGapsRemain:
      return "gaps-remain";
    case RunStatus::kWsusutilFailed:
      return "wsusutil-failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

std::string utc_now() {
  using namespace std::chrono;
  auto now = floor<seconds>(system_clock::now());
  auto day = floor<days>(now);
  year_month_day date(day);
  hh_mm_ss time(now - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

Result<std::int64_t> RunJournal::begin(const RunRecord& record) {
  auto statement = db_->prepare(
      "INSERT INTO runs (kind, source_id, sequence, manifest_sha256, mode, package_dir, status, started, "
      "message, files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8, ?9, ?10)");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(to_string(record.kind), record.source_id, record.sequence, record.manifest_sha256,
                  record.mode, record.package_dir,
                  record.started_utc.empty() ? utc_now() : record.started_utc, one_line(record.message),
                  record.files, record.bytes);
  if (auto done = statement->run("record the start of a run"); !done) return std::unexpected(done.error());
  std::int64_t id = db_->last_insert_rowid();
  own_runs_.push_back(id);
  return id;
}

Result<void> RunJournal::finish(std::int64_t id, RunStatus status, const std::string& manifest_sha256,
                                const std::string& message, std::uint64_t files, std::uint64_t bytes) {
  if (status == RunStatus::kRunning) {
    return make_error(ExitCode::kOperational, db_->path().string(),
                      fmt::format("run {} cannot be finished with status running", id));
  }
  auto statement = db_->prepare(
      "UPDATE runs SET status = ?1, manifest_sha256 = CASE WHEN ?2 = '' THEN manifest_sha256 ELSE ?2 END, "
      "message = ?3, files = ?4, bytes = ?5, finished = ?6 WHERE id = ?7 AND status = 'running'");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(to_string(status), manifest_sha256, one_line(message), files, bytes, utc_now(), id);
  if (auto done = statement->run("record the end of a run"); !done) return done;
  if (db_->changes() != 1) {
    return make_error(ExitCode::kOperational, db_->path().string(),
                      fmt::format("run {} is not running in this ledger (unknown, or already finished)", id));
  }
  std::erase(own_runs_, id);
  return {};
}

Result<std::vector<RunRecord>> RunJournal::read_runs(sqlite::Statement& statement, std::string_view doing) {
  std::vector<RunRecord> runs;
  auto read = statement.each_row(doing, [&](const sqlite::Statement& row) -> Result<void> {
    auto record = read_run(row, db_->path());
    if (!record) return std::unexpected(record.error());
    runs.push_back(std::move(*record));
    return {};
  });
  if (!read) return std::unexpected(read.error());
  return runs;
}

Result<std::optional<RunRecord>> RunJournal::read_optional_run(sqlite::Statement& statement,
                                                               std::string_view doing) {
  auto runs = read_runs(statement, doing);
  if (!runs) return std::unexpected(runs.error());
  if (runs->empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs->front()));
}

Result<std::optional<RunRecord>> RunJournal::last_successful_export() {
  static const std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE kind = 'export' AND status = 'succeeded' ORDER BY sequence DESC, id DESC "
      "LIMIT 1",
      kRunColumns);
  auto statement = db_->prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  return read_optional_run(*statement, "read the last export");
}

Result<std::optional<RunRecord>> RunJournal::last_applied_import(const std::string& source_id) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE kind = 'import' AND source_id = ?1 AND status IN ('succeeded', "
      "'gaps-remain') ORDER BY sequence DESC, id DESC LIMIT 1",
      kRunColumns);
  auto statement = db_->prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  statement->bind(source_id);
  return read_optional_run(*statement, "read the last import");
}

Result<std::vector<RunRecord>> RunJournal::history(std::size_t limit) {
  static const std::string sql = fmt::format(
      "SELECT {0} FROM (SELECT {0} FROM runs ORDER BY id DESC LIMIT ?1) ORDER BY id ASC", kRunColumns);
  auto statement = db_->prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  statement->bind(limit);
  return read_runs(*statement, "read the history");
}

Result<std::vector<RunRecord>> RunJournal::interrupted() {
  static const std::string sql =
      fmt::format("SELECT {} FROM runs WHERE status = 'running' ORDER BY id ASC", kRunColumns);
  auto statement = db_->prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  auto runs = read_runs(*statement, "read the journal");
  if (!runs) return runs;
  std::erase_if(*runs, [&](const RunRecord& run) { return std::ranges::count(own_runs_, run.id) != 0; });
  return runs;
}

Result<std::vector<std::string>> RunJournal::sources(RunKind kind) {
  auto statement = db_->prepare("SELECT DISTINCT source_id FROM runs WHERE kind = ?1 ORDER BY source_id");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(std::string(to_string(kind)));
  std::vector<std::string> sources;
  auto read = statement->each_row(
      "read the journal", [&](const sqlite::Statement& row) { sources.push_back(row.get<std::string>(0)); });
  if (!read) return std::unexpected(read.error());
  return sources;
}

}  // namespace wsa::state
