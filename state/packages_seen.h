#pragma once
// The signed packages an import looked at (table `packages_seen`, schema 3), with the time each was
// made: what `status` measures staleness by.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

// A package whose signature an import checked: applied, already applied, or refused as out of order.
struct SeenPackage {
  std::string source_id;
  std::uint64_t sequence = 0;
  std::string manifest_sha256;
  std::string created_utc;  // the manifest's own creation time
  std::string first_seen_utc;
};

// The `packages_seen` table of one connection. Not thread-safe: the Ledger serializes its use.
class PackagesSeen {
 public:
  explicit PackagesSeen(sqlite::Database& db) : db_(&db) {}

  // Records the package once; seeing it again keeps the first sighting. An empty first_seen_utc means now.
  Result<void> record(const SeenPackage& package);
  // Per source, the highest-sequence package seen, sources in id order. A ledger of schema 2 opened
  // read-only has no such table: then none.
  Result<std::vector<SeenPackage>> newest_per_source();
  // The sighting of this exact package, if it was seen (empty created_utc when not).
  Result<SeenPackage> find(const std::string& manifest_sha256);

 private:
  Result<bool> table_exists();

  sqlite::Database* db_;
};

}  // namespace wsa::state
