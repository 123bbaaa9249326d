#pragma once
// The inventory: every file of the source WsusContent at export time, streamed line by line so a
// million files never sit in memory. Format: docs/format.md ("inventory.tsv").

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/error.h"
#include "manifest/transfer_manifest.h"

namespace wsa::manifest {

namespace fs = boost::filesystem;

// The first line of every inventory; the number is the format version.
inline constexpr std::string_view kInventoryHeader = "# wsus-airgap inventory v1";
inline constexpr int kInventoryFormatVersion = 1;
// No line (without its newline) may be longer: a real one is under 200 bytes.
inline constexpr std::size_t kMaxInventoryLineBytes = 1024;

struct InventoryEntry {
  std::string path;  // canonical content path "XX/<SHA1>.ext" (wsus::parse_content_path)
  std::uint64_t size = 0;
  std::string sha256_hex;  // 64 lower-case hex
  std::string sha1_hex;    // 40 upper-case hex; equals the SHA-1 in the path
  bool carried = false;    // this package's volumes hold the file

  bool operator==(const InventoryEntry&) const = default;
};

// Writes entries in strictly ascending byte-wise path order (refuses anything else, kOperational: a scan
// bug), each validated like the reader does; the file appears (replacing one of that name) on finish().
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
  // nullopt at the end. After an error, every later call returns that error again.
  Result<std::optional<InventoryEntry>> next();
  // After next() returned nullopt: name, size and SHA-256 of exactly the bytes read, and the counts, to
  // compare with the manifest's InventorySummary without reading the file twice.
  const InventorySummary& summary() const;

 private:
  InventoryReader() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wsa::manifest
