#pragma once
// The export side's shipped set (table `shipped`): the (path, SHA-256) pairs that an exported package
// carried, with the package's sequence.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

// The `shipped` table of one connection. Not thread-safe: the Ledger serializes its use.
class ShippedSet {
 public:
  explicit ShippedSet(sqlite::Database& db) : db_(&db) {}

  Result<bool> contains(const std::string& path, const std::string& sha256_hex);
  // Every (path, SHA-256) pair in ascending byte-wise order of path, then SHA-256, in one query and
  // without a copy of the set in memory.
  Result<void> each(const std::function<void(const std::string& path, const std::string& sha256_hex)>& visit);
  // Adds the (path, sha256) pairs (a pair already present takes the new sequence), in one transaction.
  Result<void> record(std::uint64_t sequence, const std::vector<std::pair<std::string, std::string>>& files);
  // The same for `count` pairs produced one at a time by `pair(i)`, so the caller need not hold them all.
  Result<void> record(std::uint64_t sequence, std::size_t count,
                      const std::function<std::pair<std::string, std::string>(std::size_t)>& pair);
  // Removes every pair of these paths, in one transaction.
  Result<void> forget(const std::vector<std::string>& paths);
  // The highest sequence of a package that carried `path` (any SHA-256), if any carried it.
  Result<std::optional<std::uint64_t>> last_sequence(const std::string& path);

 private:
  sqlite::Database* db_;
};

}  // namespace wsa::state
