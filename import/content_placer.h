#pragma once
// Moves a verified package's content into WsusContent in one pass over the media: each tar entry is
// streamed out of the volumes into a staging folder on the same volume and checked against its
// SHA-256 and its SHA-1 name as it is written, while the volumes' own SHA-256 digests are computed on
// the same bytes. Only once every volume has matched the signed manifest do the staged files move
// into `XX/`, in batches that are flushed to disk, renamed, and recorded in one ledger transaction
// each. A file already present with the right bytes is left alone.

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
  std::uint64_t files_skipped = 0;    // placed and verified by an interrupted run: not read again
  std::uint64_t volumes_hashed = 0;   // volumes whose SHA-256 this pass computed and matched
  std::uint64_t volumes_skipped = 0;  // volumes an interrupted run hashed, unchanged since: not hashed
};

// What an interrupted run of the same package already did, and where to record progress.
struct PlacementResume {
  // By canonical path. A file is skipped unhashed when its size and time on disk still match.
  std::map<std::string, state::PlacedFile> placed_before;
  // Called with each batch of files just placed (renamed into XX/ and flushed) or found intact.
  std::function<Result<void>(const std::vector<state::PlacedFile>&)> record;
  // One per volume, in order: true for a volume an interrupted run hashed whole and that is unchanged
  // since (size and time), read for its entries but not hashed again. Empty: every volume is hashed.
  std::vector<bool> volume_hashed_before;
  // Called once volume `index` has matched the signed manifest in this pass.
  std::function<Result<void>(std::size_t index)> volume_verified;
};

// How many staged files move into XX/ per flush, rename and ledger transaction (and how many bytes at
// most). WSUS_AIRGAP_TEST_BATCH_FILES, when set to 1-100000, replaces the file count (tests only).
inline constexpr std::size_t kPlacementBatchFiles = 2048;
inline constexpr std::uint64_t kPlacementBatchBytes = std::uint64_t{1} << 30;

// Refuses (kIntegrity) any entry that is not the next carried inventory file, is not a plain file,
// whose bytes differ from the inventory, or any volume whose digest differs from the manifest's;
// then nothing has moved into XX/ and the staging folder is gone. With `resume`, files an interrupted
// run placed are drained from the tar stream without being written, and every file placed or found
// intact is recorded in batches. On success every carried inventory file is in `content` under its
// canonical path with the inventory's size (the checks after placement rely on it).
Result<Placement> place_content(const verify::VerifiedPackage& package, const fs::path& content,
                                Progress* progress, PlacementResume* resume = nullptr);

// The staging folder inside WsusContent (same volume, so the final rename is atomic).
fs::path staging_folder(const fs::path& content);

}  // namespace wsa::importing
