#pragma once
// The SQLite ledger (`--state`): what was exported or imported, in which sequence, how it ended, the
// export side's hash cache and shipped-file set, and the journal of runs that did not finish.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/approval_record.h"
#include "state/hash_cache.h"
#include "state/import_resume.h"
#include "state/ledger_file.h"
#include "state/metadata_checks.h"
#include "state/packages_seen.h"
#include "state/run_journal.h"
#include "state/shipped_set.h"

namespace wsa::state {

namespace fs = boost::filesystem;

// How fresh one source (export chain) is in this ledger: its newest successful run and, on the import
// side, the newest signed package seen (applied or not).
struct SourceFreshness {
  RunKind kind = RunKind::kImport;
  std::string source_id;
  std::optional<RunRecord> last_success;   // export: succeeded; import: applied (succeeded or gaps remain)
  std::string last_success_made_utc;       // when that package was made; empty if not known
  std::optional<SeenPackage> newest_seen;  // import only
};

// The one thing callers open. Each concern lives in its own file (run_journal, hash_cache, shipped_set,
// import_resume, over one sqlite::Database); this class serializes them.
//
// Threads: one Ledger may be shared by several threads (export reads the shipped set on one thread
// while the content scan reads and writes the hash cache on others). Every call holds the Ledger's
// mutex for its whole length, so one thread's transaction never interleaves with another's statement;
// callbacks given to a call (each_cached_hash, each_shipped, forget_hashes_except, record_shipped) must
// not call back into the Ledger. Several processes may share the file (SQLite locking; runs hold the
// `<ledger>.lock` file as well).
class Ledger {
 public:
  // Opens the ledger, creating it (and its folder) when missing unless `access` is kReadOnly. Busy
  // timeout 5 s. Refuses (kOperational), naming the file, one that is empty, damaged, not a
  // wsus-airgap ledger or of another schema: never made into a new ledger (see open_ledger_file).
  // kReadOnly (status, gaps, reports) never creates or writes anything; its writes fail.
  static Result<Ledger> open(const fs::path& file, LedgerAccess access = LedgerAccess::kCreateIfMissing);
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

  // Packages seen (schema 3): every signed package an import checked, with the time it was made.
  Result<void> record_package_seen(const SeenPackage& package);
  // Per source of each kind of run, export first: what `status` reports and `--max-age` judges.
  Result<std::vector<SourceFreshness>> freshness();

  // Hash cache, keyed by canonical content path.
  Result<std::optional<CachedHash>> cached_hash(const std::string& path);
  // Every hash-cache entry (or those whose path starts with `under`, such as "AB/") in ascending
  // byte-wise path order, in one query (a re-scan of 100,000 files must not pay a query, and its file
  // locks, per file) and without a copy of the cache in memory.
  Result<void> each_cached_hash(const std::function<void(const std::string& path, const CachedHash&)>& visit,
                                std::string_view under = {});
  // Inserts or replaces every entry in one transaction.
  Result<void> store_hashes(const std::vector<std::pair<std::string, CachedHash>>& entries);
  // Removes every entry whose path `keep` rejects, in one transaction.
  Result<void> forget_hashes_except(const std::function<bool(const std::string&)>& keep);

  // Shipped set: (path, sha256) pairs that an exported package carried, with its sequence.
  Result<bool> was_shipped(const std::string& path, const std::string& sha256_hex);
  // Every shipped (path, SHA-256) pair in ascending byte-wise order of path, then SHA-256, in one
  // query and without a copy of the set in memory.
  Result<void> each_shipped(
      const std::function<void(const std::string& path, const std::string& sha256_hex)>& visit);
  // Adds the pairs (a pair already present takes the new sequence), in one transaction.
  Result<void> record_shipped(std::uint64_t sequence,
                              const std::vector<std::pair<std::string, std::string>>& files);
  // The same for `count` pairs produced one at a time by `pair(i)`.
  Result<void> record_shipped(std::uint64_t sequence, std::size_t count,
                              const std::function<std::pair<std::string, std::string>(std::size_t)>& pair);
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

  // Metadata checks (schema 5): checks that found every file a metadata package references in a scan.
  Result<std::optional<MetadataCheck>> find_metadata_check(const std::string& package_sha256,
                                                           const std::string& listing_sha256);
  // Whether some check read these package bytes whole (so they are a well-formed export package).
  Result<bool> knows_metadata_package(const std::string& package_sha256);
  Result<void> record_metadata_check(const MetadataCheck& check);

  // Approval sets (schema 4): what imports applied to the offline WSUS server's approvals.
  Result<std::vector<AppliedApproval>> applied_approvals();
  // Adds `set` and replaces the approvals and declines left in place with `in_place`, in one transaction.
  Result<void> record_approval_set(const ApprovalSetRecord& set,
                                   const std::vector<AppliedApproval>& in_place);
  // The newest `limit` sets, oldest first.
  Result<std::vector<ApprovalSetRecord>> approval_history(std::size_t limit = 100);

 private:
  Ledger() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::state
