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
#include "verify/volume_reader.h"

namespace wsa {
class Progress;
}

namespace wsa::exporting {

namespace fs = boost::filesystem;

// The smallest volume size accepted (kUsage below it).
inline constexpr std::uint64_t kMinVolumeSize = 64 * 1024;

// Volume names are content.tar.NNN (three digits, more past 999: the manifest's order is the truth).
// Every volume but the last has exactly `volume_size` bytes; entries are regular files, mode 0644,
// mtime 0, so the same files in the same order give the same volumes.
//
// After an error found while a file's data was being written (it changed, a read or write failed)
// the tar stream cannot be continued: later calls fail. Errors found before a file's header is
// written (cannot open it, its size differs from `expected_size`) leave the writer usable.
class VolumeWriter {
 public:
  // Volumes are created in `package_dir` (which must exist) as `<name>.partial` files, synced and
  // renamed when full or finished. `progress` may be null.
  static Result<VolumeWriter> create(const fs::path& package_dir, std::uint64_t volume_size,
                                     Progress* progress);
  VolumeWriter(VolumeWriter&&) noexcept;
  VolumeWriter& operator=(VolumeWriter&&) noexcept;
  ~VolumeWriter();  // removes the unfinished volume's .partial file; finished volumes stay

  // Streams `source` into the archive as `entry_name` ("XX/<SHA1>.ext"), reading it once, and returns
  // the digests of the bytes actually written (the caller compares them with the inventory).
  // Fails (kOperational, "changed while being exported", naming `source`) if the file's size differs
  // from `expected_size` (it changed since the scan). Names are 1 to 255 bytes, sizes at most 1 TiB.
  Result<Digests> add_file(const std::string& entry_name, const fs::path& source,
                           std::uint64_t expected_size);
  // Closes the archive; returns the volumes in order with size and SHA-256.
  Result<std::vector<manifest::PinnedFile>> finish();

 private:
  VolumeWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsa::exporting
