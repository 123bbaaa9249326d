#include "import/import_steps.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <atomic>

#include "common/platform.h"
#include "common/progress.h"

namespace wsa::importing {

namespace {

// The order was judged on the manifest read first; one swapped on the media since is refused, never
// re-judged, and the package from then on names the verified copies.
void adopt_checked(PendingPackage& package, verify::VerifiedPackage checked) {
  if (checked.manifest_sha256 != package.verified.manifest_sha256) {
    fail(ExitCode::kIntegrity, package.found.folder_name,
         "manifest.json changed on the media while the import was reading it",
         "something else is writing to the media: stop it, copy the package again and re-run the import");
  }
  package.verified = std::move(checked);
}

}  // namespace

std::optional<verify::AppliedTip> tip_of(state::Ledger& ledger, const std::string& source_id) {
  auto last = value_or_throw(ledger.last_applied_import(source_id));
  if (!last) return std::nullopt;
  return verify::AppliedTip{last->sequence, last->manifest_sha256};
}

// Verified copies of each package's inventory and metadata live beside the ledger, one folder per
// manifest: the import acts only on these, never on the media after the check.
fs::path verified_copies(const ImportOptions& options, const std::string& manifest_sha256) {
  return options.state.parent_path() / "wsus-airgap-verified" / manifest_sha256;
}

// A package superseded by a newer one of its source no longer needs its copies; only folders named
// like a manifest hash are ever removed, and only under the copies folder.
void forget_verified_copies(const ImportOptions& options, const std::string& manifest_sha256) {
  bool named_as_hash = manifest_sha256.size() == 64 &&
                       manifest_sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!named_as_hash) return;
  boost::system::error_code ec;
  fs::remove_all(verified_copies(options, manifest_sha256), ec);  // best effort: only costs space
}

namespace {

std::optional<state::VerifiedVolume> as_verified(const manifest::PinnedFile& pinned, const fs::path& found) {
  auto mtime = platform::modification_time_ns(found);
  if (!mtime) return std::nullopt;
  return state::VerifiedVolume{pinned.name, pinned.size, *mtime};
}

bool among(const std::vector<state::VerifiedVolume>& known, const std::optional<state::VerifiedVolume>& now) {
  return now && std::ranges::any_of(known, [&](const state::VerifiedVolume& v) {
           return v.name == now->name && v.size == now->size && v.mtime_ns == now->mtime_ns;
         });
}

}  // namespace

// Authentic and whole before anything moves: signatures, the size of every pinned file, and the
// inventory and metadata package hashed while they are copied beside the ledger. The volumes are
// hashed by the placement itself, on the bytes it extracts (one read of the media): nothing it
// extracts becomes visible before every volume matched. A dry run places nothing, so it hashes the
// volumes here (except those an interrupted run hashed, unchanged in size and time since).
void verify_contents(PendingPackage& package, const ImportOptions& options, const manifest::TrustStore& trust,
                     state::Ledger& ledger, Progress* progress) {
  const std::string sha = package.verified.manifest_sha256;
  auto known = value_or_throw(ledger.verified_volumes(sha));
  const auto volumes = package.verified.manifest.volumes;
  // Counted where verify_package decides, so the report says what was really left unread.
  std::atomic<std::uint64_t> skipped{0};
  verify::VerifyOptions full;
  full.threshold = options.threshold;
  full.progress = progress;
  full.already_hashed = [&](const manifest::PinnedFile& pinned, const fs::path& found) {
    // verify_package reads the manifest afresh, so volumes are recognised by their (unique) names.
    bool is_volume = std::ranges::any_of(volumes, [&](const auto& v) { return v.name == pinned.name; });
    if (!is_volume) return false;
    if (!options.dry_run) return true;  // hashed as it is extracted
    if (!among(known, as_verified(pinned, found))) return false;
    ++skipped;
    return true;
  };
  if (!options.dry_run) full.keep_copies_in = verified_copies(options, sha);
  auto checked = value_or_throw(verify::verify_package(package.found, options.media, trust, full));
  adopt_checked(package, std::move(checked));
  if (options.dry_run) {
    package.volumes_skipped = skipped;
    package.volumes_hashed = package.verified.volumes.size() - package.volumes_skipped;
  }
}

std::vector<bool> volumes_hashed_before(const PendingPackage& package, state::Ledger& ledger) {
  auto known = value_or_throw(ledger.verified_volumes(package.verified.manifest_sha256));
  std::vector<bool> before;
  for (std::size_t i = 0; i < package.verified.volumes.size(); ++i)
    before.push_back(
        among(known, as_verified(package.verified.manifest.volumes[i], package.verified.volumes[i])));
  return before;
}

Result<void> record_volume_verified(const PendingPackage& package, state::Ledger& ledger, std::size_t index) {
  auto now = as_verified(package.verified.manifest.volumes[index], package.verified.volumes[index]);
  if (!now) return {};  // not recorded: a resumed run hashes it again
  return ledger.record_verified_volume(package.verified.manifest_sha256, *now);
}

// A package applied by an earlier run whose gaps are reported again: its inventory and metadata are
// read from the verified copies (made again, hashing only those two files, if they are gone), never
// from the media, which was only checked for signatures and sizes in this run.
void reverify_applied(PendingPackage& package, const ImportOptions& options,
                      const manifest::TrustStore& trust) {
  verify::VerifyOptions again;
  again.threshold = options.threshold;
  const auto volumes = package.verified.manifest.volumes;
  again.already_hashed = [&](const manifest::PinnedFile& pinned, const fs::path&) {
    return std::ranges::any_of(volumes, [&](const auto& v) { return v.name == pinned.name; });
  };
  again.keep_copies_in = verified_copies(options, package.verified.manifest_sha256);
  auto checked = value_or_throw(verify::verify_package(package.found, options.media, trust, again));
  adopt_checked(package, std::move(checked));
}

}  // namespace wsa::importing
