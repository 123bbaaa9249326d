#pragma once
// Reads the tar stream back across its volume files (which may sit in several media folders), one
// entry at a time, refusing anything that is not a plain regular file.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
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

  // What the signed manifest pins of one volume. With a SHA-256, the reader hashes the volume's bytes
  // as they stream through it (each byte read once, for the tar entries and the hash alike) and, at
  // the volume's last byte, refuses (kIntegrity) a volume whose digest differs, before any entry
  // after it is handed out. Without one (a volume an interrupted run hashed, unchanged since), only
  // its size is held to.
  struct Expected {
    std::uint64_t size = 0;
    std::string sha256_hex;  // empty: not hashed
  };
  // `on_verified(i)` is called once volume i's digest has matched. After next() has returned the end
  // of the stream, every volume has been read to its last byte and checked.
  static Result<VolumeReader> open(const std::vector<fs::path>& volumes,
                                   const std::vector<Expected>& expected,
                                   std::function<Result<void>(std::size_t)> on_verified);
  VolumeReader(VolumeReader&&) noexcept;
  VolumeReader& operator=(VolumeReader&&) noexcept;
  ~VolumeReader();

  // Next entry header (skipping unread data of the current one); nullopt at the end of the stream,
  // which must come in the last volume. Refuses (kIntegrity) links, devices, folders, sparse or
  // otherwise special entries, sizes over 1 TiB, and names over 255 bytes.
  Result<std::optional<VolumeEntry>> next();
  // Reads up to `size` bytes of the current entry's data; 0 at its end (or before the first entry).
  Result<std::size_t> read(void* buffer, std::size_t size);
  // Why the stream failed, said as precisely as the media allows: when `error` arose inside a volume
  // that is being hashed, the rest of that volume is read and, if its digest differs from the
  // manifest's, that is the error returned (the volume is damaged, not merely one entry in it).
  Error explain(Error error);

 private:
  VolumeReader() = default;
  static Result<VolumeReader> open_checked(const std::vector<fs::path>& volumes,
                                           const std::vector<std::uint64_t>& expected_sizes,
                                           std::vector<std::string> expected_sha256,
                                           std::function<Result<void>(std::size_t)> on_verified);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::verify
