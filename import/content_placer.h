#pragma once
// Moves a verified package's content into WsusContent: each file is streamed out of the volumes into
// a staging folder on the same volume, checked against its SHA-256 and its SHA-1 name in the same
// pass, then renamed into `XX/`. A file already present with the right bytes is left alone.

#include <boost/filesystem/path.hpp>

#include <cstdint>

#include "common/error.h"
#include "verify/package_check.h"

namespace wsa {
class Progress;
}

namespace wsa::importing {

namespace fs = boost::filesystem;

struct Placement {
  std::uint64_t files_placed = 0;
  std::uint64_t bytes_placed = 0;
  std::uint64_t files_already_present = 0;
};

// Refuses (kIntegrity) any entry that is not the next carried inventory file, is not a plain file,
// or whose bytes differ from the inventory; the content folder then holds only whole, verified files.
Result<Placement> place_content(const verify::VerifiedPackage& package, const fs::path& content, Progress* progress);

// The staging folder inside WsusContent (same volume, so the final rename is atomic).
fs::path staging_folder(const fs::path& content);

}  // namespace wsa::importing
