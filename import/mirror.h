#pragma once
// robocopy /MIR on the offline side, done safely: after a package is applied, content files the
// export server no longer has (absent from the package's inventory, which lists its whole tree) are
// moved into a quarantine folder (or deleted with purge), unless the package's metadata still
// references them. Planned before anything moves, applied last, and only after everything else
// succeeded (rclone's sync rule).

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "verify/package_check.h"
#include "verify/store_listing.h"

namespace wsa::importing {

namespace fs = boost::filesystem;

// Default for --max-delete: a month's superseded content is usually far fewer files; a mass
// deletion must be asked for by number.
inline constexpr std::uint64_t kDefaultMaxDelete = 500;
// An inventory listing fewer files than this share of the offline tree (in percent) looks like a
// package made from an empty or wrong WsusContent (robocopy /MIR from an empty source).
inline constexpr std::uint64_t kSuspiciousInventoryPercent = 50;

struct MirrorOptions {
  bool dry_run = false;
  bool purge = false;  // delete for good instead of quarantining
  bool force = false;  // accept an empty or suspiciously small inventory
  std::uint64_t max_delete = kDefaultMaxDelete;
  std::string stamp;  // names the quarantine folder: "<UTC YYYYMMDDTHHMMSSZ>-<sequence 6 digits>"
};

struct ExtraFile {
  std::string path;  // canonical "XX/<SHA1>.ext"
  fs::path disk_path;
  std::uint64_t size = 0;
};

// What a mirror would do; computed before content is placed (placement only adds inventory files,
// so the extras are the same afterwards while the content lock is held).
struct MirrorPlan {
  std::string package;                // folder of the package the offline tree is mirrored to
  std::uint64_t inventory_files = 0;  // files the export server has
  std::uint64_t offline_files = 0;    // content files here before the import
  std::vector<ExtraFile> remove;      // extras to quarantine or delete
  std::vector<std::string> kept;      // extras the package's metadata still references
  std::uint64_t remove_bytes = 0;
  // Dry run only: the refusal a real run would stop with (exit 7); the lists are complete anyway.
  std::optional<Error> refusal;
};

struct MirrorResult {
  std::vector<std::string> removed;  // quarantined (or deleted with purge)
  std::optional<fs::path> quarantine;
  std::uint64_t bytes = 0;
};

// Lists the extras and refuses (kDeleteCap, before anything changed) an empty or suspiciously small
// inventory unless forced, and more removals than max_delete; a dry run lists them all and returns
// the refusal in the plan instead. Reads the inventory and the metadata package (both verified), and
// a new listing of the content folder (`store`, which the run's later checks share); hashes nothing.
Result<MirrorPlan> plan_mirror(const verify::VerifiedPackage& package, verify::StoreListing& store,
                               const MirrorOptions& options);

// Moves every planned file into quarantine_folder(content, stamp)/XX/ (a rename: same volume), or
// deletes it with purge. Stops at the first failure, naming the file; what was moved stays moved.
Result<MirrorResult> apply_mirror(const MirrorPlan& plan, const fs::path& content,
                                  const MirrorOptions& options);

// `<content>/../wsus-airgap-quarantine`: beside WsusContent, so on its volume and outside what WSUS reads.
fs::path quarantine_root(const fs::path& content);

}  // namespace wsa::importing
