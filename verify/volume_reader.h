#pragma once
// Reads the tar stream back across its volume files (which may sit in several media folders), one
// entry at a time, refusing anything that is not a plain regular file.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::verify {

namespace fs = boost::filesystem;

// Limits on an entry; the writer refuses to write what the reader would refuse.
inline constexpr std::size_t kMaxEntryNameBytes = 255;
inline constexpr std::uint64_t kMaxEntryBytes = std::uint64_t{1} << 40;  // 1 TiB

struct VolumeEntry {
  std::string name;  // as stored; the caller validates it as a content path
  std::uint64_t size = 0;
};

// Errors are kIntegrity and name the volume being read (and the entry, when one is at fault), except
// I/O errors (kOperational). After any error the reader is unusable.
class VolumeReader {
 public:
  // `volumes` in order (content.tar.000 first). Volumes are checked (size, SHA-256) before this;
  // a missing one is refused here, naming it.
  static Result<VolumeReader> open(const std::vector<fs::path>& volumes);
  // Also refuses a volume whose size differs from `expected_sizes` (same order), before and while
  // reading, so a volume that shrinks after the check cannot shift the stream unnoticed.
  static Result<VolumeReader> open(const std::vector<fs::path>& volumes,
                                   const std::vector<std::uint64_t>& expected_sizes);
  VolumeReader(VolumeReader&&) noexcept;
  VolumeReader& operator=(VolumeReader&&) noexcept;
  ~VolumeReader();

  // Next entry header (skipping unread data of the current one); nullopt at the end of the stream,
  // which must come in the last volume. Refuses (kIntegrity) links, devices, folders, sparse or
  // otherwise special entries, sizes over 1 TiB, and names over 255 bytes.
  Result<std::optional<VolumeEntry>> next();
  // Reads up to `size` bytes of the current entry's data; 0 at its end (or before the first entry).
  Result<std::size_t> read(void* buffer, std::size_t size);

 private:
  VolumeReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::verify
