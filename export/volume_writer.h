#pragma once
// Writes content files into one tar stream (pax, via libarchive) cut into volume files of at most
// `volume_size` bytes: content.tar.000, content.tar.001, ... A file larger than a volume simply
// continues in the next one. Volumes are hashed while written. Format: docs/format.md.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/error.h"
#include "manifest/transfer_manifest.h"

namespace wsa {
class Progress;
}

namespace wsa::exporting {

namespace fs = boost::filesystem;

class VolumeWriter {
 public:
  // Volumes are created in `package_dir` as temp files and renamed when finished.
  static Result<VolumeWriter> create(const fs::path& package_dir, std::uint64_t volume_size, Progress* progress);
  VolumeWriter(VolumeWriter&&) noexcept;
  VolumeWriter& operator=(VolumeWriter&&) noexcept;
  ~VolumeWriter();  // removes unfinished volumes

  // Streams `source` into the archive as `entry_name` ("XX/<SHA1>.ext"), reading it once, and returns
  // the digests of the bytes actually written (the caller compares them with the inventory).
  // Fails if the file's size differs from `expected_size` (it changed since the scan).
  Result<Digests> add_file(const std::string& entry_name, const fs::path& source, std::uint64_t expected_size);
  // Closes the archive; returns the volumes in order with size and SHA-256.
  Result<std::vector<manifest::PinnedFile>> finish();

 private:
  VolumeWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::exporting
