#pragma once
// What an interrupted import already did (schema 2, tables `import_verified_volumes` and
// `import_placed_files`), keyed by the package's manifest SHA-256 so a later run of the same package
// finds it.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

// A content volume an import hashed in full, with the size and time it had then.
struct VerifiedVolume {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// A content file an import placed (or found intact) in WsusContent, with the size and time it had then.
struct PlacedFile {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string sha256_hex;
};

// The import resume tables of one connection. Not thread-safe: the Ledger serializes its use.
class ImportResume {
 public:
  explicit ImportResume(sqlite::Database& db) : db_(&db) {}

  Result<std::vector<VerifiedVolume>> verified_volumes(const std::string& manifest_sha256);
  Result<void> record_verified_volume(const std::string& manifest_sha256, const VerifiedVolume& volume);
  Result<std::vector<PlacedFile>> placed_files(const std::string& manifest_sha256);
  // Inserts or replaces every file in one transaction.
  Result<void> record_placed_files(const std::string& manifest_sha256, std::int64_t run_id,
                                   const std::vector<PlacedFile>& files);
  // Drops the package's rows (once it is applied they are never needed again), in one transaction.
  Result<void> forget(const std::string& manifest_sha256);

 private:
  sqlite::Database* db_;
};

}  // namespace wsa::state
