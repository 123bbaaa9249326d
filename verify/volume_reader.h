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

struct VolumeEntry {
  std::string name;  // as stored; the caller validates it as a content path
  std::uint64_t size = 0;
};

class VolumeReader {
 public:
  // `volumes` in order (content.tar.000 first). Volumes are checked (size, SHA-256) before this.
  static Result<VolumeReader> open(const std::vector<fs::path>& volumes);
  VolumeReader(VolumeReader&&) noexcept;
  VolumeReader& operator=(VolumeReader&&) noexcept;
  ~VolumeReader();

  // Next entry header; nullopt at the end. Refuses (kIntegrity) links, devices, folders, sparse or
  // otherwise special entries, sizes over 1 TiB, and names over 255 bytes.
  Result<std::optional<VolumeEntry>> next();
  // Reads up to `size` bytes of the current entry's data; 0 at its end.
  Result<std::size_t> read(void* buffer, std::size_t size);

 private:
  VolumeReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::verify
