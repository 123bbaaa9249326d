#pragma once
// What `wsusutil import` reads: a whole export package, validated end to end (container, compression,
// checksums, XML, metadata records) before the simulator records anything.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

struct PackagedUpdate {
  std::string update_id;  // GUID, lower case
  std::uint32_t revision = 0;
  std::string title;  // English title, "" when the package carries none
};

struct ParsedPackage {
  std::string container;  // "cab" or "xml.gz", from the magic bytes
  std::string server_id;
  std::vector<PackagedUpdate> updates;
  std::uint64_t file_count = 0;  // <File> entries of the package's <Files> list
};

// Reads the package, choosing the container by its magic bytes ("MSCF" or 1f 8b), never by its name.
// A zero-byte, truncated, corrupt or malformed package is an error whose `why` names the problem.
Result<ParsedPackage> parse_export_package(const fs::path& package);

}  // namespace wsa::sim
