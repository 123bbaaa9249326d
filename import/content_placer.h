#pragma once
// Moves a verified package's content into WsusContent: each file is streamed out of the volumes into
// a staging folder on the same volume, checked against its SHA-256 and its SHA-1 name in the same
// pass, then renamed into `XX/`. A file already present with the right bytes is left alone.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/ledger.h"
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
  std::uint64_t files_skipped = 0;  // placed and verified by an interrupted run: not read again
};

// What an interrupted run of the same package already placed, and where to record progress.
struct PlacementResume {
  // By canonical path. A file is skipped unhashed when its size and time on disk still match.
  std::map<std::string, state::PlacedFile> placed_before;
  // Called with each batch of files just placed or found intact (and once at the end).
  std::function<Result<void>(const std::vector<state::PlacedFile>&)> record;
};

// Refuses (kIntegrity) any entry that is not the next carried inventory file, is not a plain file,
// or whose bytes differ from the inventory; the content folder then holds only whole, verified files.
// With `resume`, files an interrupted run placed are drained from the tar stream without hashing
// anything, and every file placed or found intact is recorded in batches.
Result<Placement> place_content(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume = nullptr);

// The staging folder inside WsusContent (same volume, so the final rename is atomic).
fs::path staging_folder(const fs::path& content);

}  // namespace wsa::importing
