#pragma once
// The inventory: every file of the source WsusContent at export time, streamed line by line so a
// million files never sit in memory. Format: docs/format.md ("inventory.tsv").

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/error.h"
#include "manifest/transfer_manifest.h"

namespace wsa::manifest {

namespace fs = boost::filesystem;

struct InventoryEntry {
  std::string path;  // canonical content path "XX/<SHA1>.ext" (wsus::parse_content_path)
  std::uint64_t size = 0;
  std::string sha256_hex;  // 64 lower-case hex
  std::string sha1_hex;    // 40 upper-case hex; equals the SHA-1 in the path
  bool carried = false;    // this package's volumes hold the file
};

// Writes entries in strictly ascending path order (refuses anything else), atomically.
class InventoryWriter {
 public:
  static Result<InventoryWriter> create(const fs::path& file);
  Result<void> add(const InventoryEntry& entry);
  // Commits the file and returns its pinned summary (name, size, SHA-256 of the bytes, counts).
  Result<InventorySummary> finish();

 private:
  InventoryWriter() = default;
  std::optional<AtomicFile> file_;
  Sha256Hasher hasher_;
  InventorySummary summary_;
  std::string last_path_;
};

// Reads entries back with strict validation of every line (max 1024 bytes a line, header with format
// version, ascending unique paths, SHA-1 matching the path). Errors are kIntegrity and name the line.
class InventoryReader {
 public:
  static Result<InventoryReader> open(const fs::path& file);
  InventoryReader(InventoryReader&&) noexcept;
  InventoryReader& operator=(InventoryReader&&) noexcept;
  ~InventoryReader();
  // nullopt at the end.
  Result<std::optional<InventoryEntry>> next();

 private:
  InventoryReader() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wsa::manifest
