#pragma once
// The export side's hash cache (table `hash_cache`), keyed by canonical content path: rsync's quick
// check, so an unchanged file is not read again.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

// What the export side remembers about one content file.
struct CachedHash {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::optional<std::uint64_t> file_id;
  std::string sha256_hex;
  std::string sha1_hex;
};

// The `hash_cache` table of one connection. Not thread-safe: the Ledger serializes its use.
class HashCache {
 public:
  explicit HashCache(sqlite::Database& db) : db_(&db) {}

  Result<std::optional<CachedHash>> find(const std::string& path);
  // Every entry (or every one whose path starts with `under`) in ascending byte-wise path order, in one
  // query: a re-scan of 100,000 files must pay neither a query per file nor a copy of the whole cache in
  // memory.
  Result<void> each(const std::function<void(const std::string& path, const CachedHash&)>& visit,
                    std::string_view under = {});
  // Inserts or replaces every entry in one transaction.
  Result<void> store(const std::vector<std::pair<std::string, CachedHash>>& entries);
  // Removes every entry whose path `keep` rejects, in one transaction.
  Result<void> forget_except(const std::function<bool(const std::string&)>& keep);

 private:
  sqlite::Database* db_;
};

}  // namespace wsa::state
