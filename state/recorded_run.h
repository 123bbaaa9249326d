#pragma once
// The scaffolding every export and import run shares: its row in the ledger's journal from begin to
// end, the runs a killed process left marked running, and the folder wsusutil's logs go to.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/ledger.h"

namespace wsa::state {

// One run in the journal. Begun on construction; finished exactly once, by finish() or, on the way
// out of an error, by fail() with the error's words. A run dropped unfinished (an exception that is
// not an AirgapError) is finished as failed by the destructor, so only a killed process leaves a row
// marked running, which is how the next run tells "interrupted" from "failed".
class RecordedRun {
 public:
  // kRunning in `ledger` until finished; a dry run records nothing (`record_it` false).
  static RecordedRun begin(Ledger& ledger, const RunRecord& record, bool record_it = true);
  RecordedRun(RecordedRun&& other) noexcept;
  RecordedRun& operator=(RecordedRun&&) = delete;
  ~RecordedRun();

  // What the run has done so far, recorded with a failure too.
  void count(std::uint64_t files, std::uint64_t bytes);
  // Finishes the run with `status`; an empty `manifest_sha256` keeps the one it began with.
  void finish(RunStatus status, const std::string& manifest_sha256, const std::string& message);
  // Finishes the run as failed with the error's words (kWsusutilFailed for a wsusutil error).
  // Never throws: it runs while an error is on its way to the user.
  void fail(const Error& error) noexcept;
  bool finished() const { return finished_; }
  std::int64_t id() const { return id_; }

 private:
  RecordedRun(Ledger* ledger, std::int64_t id) : ledger_(ledger), id_(id) {}
  Ledger* ledger_ = nullptr;
  std::int64_t id_ = 0;
  std::uint64_t files_ = 0, bytes_ = 0;
  bool finished_ = false;
};

// Runs `body(run)`; an AirgapError on the way out finishes `run` as failed before going on to the user.
template <class Body>
auto recording_failure(RecordedRun& run, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const AirgapError& error) {
    run.fail(error.error());
    throw;
  }
}

// Finishes every run of `kind` still marked running as kInterrupted with `message`. Call it holding
// the run lock: then no other process is running one, so such a row was left by a killed run.
std::vector<RunRecord> close_interrupted_runs(Ledger& ledger, RunKind kind, const std::string& message);

// `<folder of the ledger>/logs`, created if missing: where each run leaves wsusutil's log.
boost::filesystem::path logs_folder(const boost::filesystem::path& ledger_file);

}  // namespace wsa::state
