#pragma once
// The SQLite ledger (`--state`): what was exported or imported, in which sequence, how it ended, the
// export side's hash cache and shipped-file set, and the journal of runs that did not finish.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.h"

namespace wsa::state {

namespace fs = boost::filesystem;

// PRAGMA user_version of the schema this build writes; a schema-1 ledger is migrated in place (2 only
// adds the import resume tables), newer ledgers are refused naming the schema they have.
inline constexpr int kLedgerSchemaVersion = 2;

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

// What the export side remembers about one content file (rsync's quick check).
struct CachedHash {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::optional<std::uint64_t> file_id;
  std::string sha256_hex;
  std::string sha1_hex;
};

// A content volume an import hashed in full, with the size and time it had then (schema 2).
struct VerifiedVolume {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// A content file an import placed (or found intact) in WsusContent, with the size and time it had
// then (schema 2).
struct PlacedFile {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string sha256_hex;
};

// Not thread-safe: one Ledger per thread. Several processes may share the file (SQLite locking).
class Ledger {
 public:
  // Opens or creates the ledger (and its folder). WAL mode, busy timeout 5 s. Refuses (kOperational)
  // a newer or older schema and a file that is not a wsus-airgap ledger, naming the file.
  static Result<Ledger> open(const fs::path& file);
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

  // A random UUID made when the ledger was created; the export side's source id.
  const std::string& ledger_id() const;
  const fs::path& path() const;

  // Journal: a run starts as kRunning and is finished once.
  // Records `record` as kRunning (its status, id and finished_utc are ignored; an empty started_utc
  // means now) and returns its id.
  Result<std::int64_t> begin_run(const RunRecord& record);
  // Fails if the run is not kRunning (unknown or already finished); an empty `manifest_sha256`
  // keeps the one given to begin_run.
  Result<void> finish_run(std::int64_t id, RunStatus status, const std::string& manifest_sha256,
                          const std::string& message, std::uint64_t files, std::uint64_t bytes);

  // Highest-sequence export that succeeded (the chain's tip), if any.
  Result<std::optional<RunRecord>> last_successful_export();
  // Highest-sequence import of `source_id` that was applied (succeeded or ended with gaps), if any.
  Result<std::optional<RunRecord>> last_applied_import(const std::string& source_id);
  // Every run, oldest first, at most `limit` of the newest.
  Result<std::vector<RunRecord>> history(std::size_t limit = 1000);
  // Runs still kRunning that this Ledger object did not begin: interrupted (crash, power cut, kill),
  // provided the caller holds the run lock so no other process is running one. Oldest first.
  Result<std::vector<RunRecord>> interrupted_runs();

  // Hash cache, keyed by canonical content path.
  Result<std::optional<CachedHash>> cached_hash(const std::string& path);
  // The whole hash cache in one query: a re-scan of 100,000 files must not pay a query (and its file
  // locks) per file.
  Result<std::unordered_map<std::string, CachedHash>> all_cached_hashes();
  // Inserts or replaces every entry in one transaction.
  Result<void> store_hashes(const std::vector<std::pair<std::string, CachedHash>>& entries);
  // Removes every entry whose path `keep` rejects, in one transaction.
  Result<void> forget_hashes_except(const std::function<bool(const std::string&)>& keep);

  // Shipped set: (path, sha256) pairs that an exported package carried, with its sequence.
  Result<bool> was_shipped(const std::string& path, const std::string& sha256_hex);
  // The whole shipped set in one query, as path -> every SHA-256 shipped under that path.
  Result<std::unordered_map<std::string, std::vector<std::string>>> all_shipped();
  // Adds the pairs (a pair already present takes the new sequence), in one transaction.
  Result<void> record_shipped(std::uint64_t sequence,
                              const std::vector<std::pair<std::string, std::string>>& files);
  // Removes every pair of these paths, in one transaction.
  Result<void> forget_shipped(const std::vector<std::string>& paths);
  // The highest sequence of a package that carried `path` (any SHA-256), if any carried it.
  Result<std::optional<std::uint64_t>> shipped_sequence(const std::string& path);

  // Import resume (schema 2), keyed by the package's manifest SHA-256 so a later run of the same
  // package finds what an interrupted one already did.
  Result<std::vector<VerifiedVolume>> verified_volumes(const std::string& manifest_sha256);
  Result<void> record_verified_volume(const std::string& manifest_sha256, const VerifiedVolume& volume);
  Result<std::vector<PlacedFile>> placed_files(const std::string& manifest_sha256);
  // Inserts or replaces every file in one transaction.
  Result<void> record_placed_files(const std::string& manifest_sha256, std::int64_t run_id,
                                   const std::vector<PlacedFile>& files);
  // Drops the package's resume rows (once it is applied they are never needed again).
  Result<void> forget_import_progress(const std::string& manifest_sha256);

 private:
  Ledger() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::state
