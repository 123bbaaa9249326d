#pragma once
// The journal of export and import runs (table `runs`): each run starts as running and is finished
// once; a row left running is a run that was interrupted.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

namespace fs = boost::filesystem;

enum class RunKind { kExport, kImport };
enum class RunStatus { kRunning, kSucceeded, kFailed, kGapsRemain, kWsusutilFailed, kInterrupted };
const char* to_string(RunKind kind);
const char* to_string(RunStatus status);

// One export or import attempt. A row left in kRunning means the run was interrupted.
struct RunRecord {
  std::int64_t id = 0;
  RunKind kind = RunKind::kExport;
  std::string source_id;  // the export chain
  std::uint64_t sequence = 0;
  std::string manifest_sha256;  // empty until known
  std::string mode;             // "full" or "incremental"
  std::string package_dir;
  RunStatus status = RunStatus::kRunning;
  std::string started_utc;
  std::string finished_utc;  // empty while running
  std::string message;       // one line: what happened, or why it failed
  std::uint64_t files = 0;   // files carried (export) or placed (import)
  std::uint64_t bytes = 0;
};

// UTC now as "YYYY-MM-DDTHH:MM:SSZ" (local to state/, which must not depend on manifest/).
std::string utc_now();

// The `runs` table of one connection. Not thread-safe: the Ledger serializes its use.
class RunJournal {
 public:
  explicit RunJournal(sqlite::Database& db) : db_(&db) {}

  // Records `record` as kRunning (its status, id and finished_utc are ignored; an empty started_utc
  // means now) and returns its id.
  Result<std::int64_t> begin(const RunRecord& record);
  // Fails if the run is not kRunning (unknown or already finished); an empty `manifest_sha256` keeps
  // the one given to begin.
  Result<void> finish(std::int64_t id, RunStatus status, const std::string& manifest_sha256,
                      const std::string& message, std::uint64_t files, std::uint64_t bytes);
  Result<std::optional<RunRecord>> last_successful_export();
  Result<std::optional<RunRecord>> last_applied_import(const std::string& source_id);
  // Every run, oldest first, at most `limit` of the newest.
  Result<std::vector<RunRecord>> history(std::size_t limit);
  // Runs still kRunning that this journal did not begin, oldest first.
  Result<std::vector<RunRecord>> interrupted();
  // Every source id that has a run of `kind`, in id order.
  Result<std::vector<std::string>> sources(RunKind kind);

 private:
  Result<std::vector<RunRecord>> read_runs(sqlite::Statement& statement, std::string_view doing);
  Result<std::optional<RunRecord>> read_optional_run(sqlite::Statement& statement, std::string_view doing);

  sqlite::Database* db_;
  std::vector<std::int64_t> own_runs_;  // begun here and not finished yet
};

}  // namespace wsa::state
