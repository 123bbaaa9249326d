#pragma once
// Internal to the export package reader: recognises the container from its first bytes and streams
// the decompressed bytes out of it (zlib for .xml.gz, libarchive for CAB), counting every byte against
// the uncompressed limit. Errors leave `what` empty: the caller names the package.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "wsus/export_package.h"

namespace wsa::wsus::detail {

// Receives the next decompressed bytes of one stream; an error stops the reading.
using ByteSink = std::function<Result<void>(std::string_view)>;

// Exists, is a regular non-empty file, starts with a known magic, and (CAB) its header agrees with the
// file's size: everything that can be known without decompressing.
Result<PackageContainer> identify_package(const boost::filesystem::path& package);

// Inflates the whole gzip stream (all members) into `sink`; refuses a stream that ends before its end
// marker, damaged data, trailing garbage, or more than `max_uncompressed_bytes`. Returns the bytes
// inflated.
Result<std::uint64_t> inflate_gzip(const boost::filesystem::path& package,
                                   std::uint64_t max_uncompressed_bytes, const ByteSink& sink);

// One cabinet entry the caller wants, matched case-insensitively on its whole name.
struct CabEntry {
  std::string name;  // lower case, e.g. "package.xml"
  ByteSink sink;     // null: only check that the entry is present and readable
  bool found = false;
};

// Streams the wanted entries of the cabinet, in the cabinet's order, to their sinks; other entries are
// skipped but their sizes still count against `max_uncompressed_bytes`. Refuses an entry present twice.
// Returns the bytes decompressed.
Result<std::uint64_t> read_cab_entries(const boost::filesystem::path& package,
                                       std::uint64_t max_uncompressed_bytes, std::span<CabEntry> entries);

}  // namespace wsa::wsus::detail
