#include "verify/package_check.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "manifest/inventory.h"
#include "verify/content_store.h"

namespace wsa::verify {

namespace {

using manifest::kManifestFileName;
using manifest::kSignaturesFileName;

std::string join_ids(const std::vector<manifest::KeyId>& ids) {
  std::string text;
  for (const auto& id : ids) text += (text.empty() ? "" : ", ") + id;
  return text.empty() ? "none" : text;
}

// Finds `name` in the package's own folder first (another export server's package of the same
// number may sit in another media folder), then in its namesakes on the other media (a package
// whose volumes span several sticks).
std::optional<fs::path> locate(const FoundPackage& package, const std::string& name,
                               const std::vector<fs::path>& media) {
  boost::system::error_code ec;
  if (fs::is_regular_file(package.dir / name, ec)) return package.dir / name;
  for (const auto& root : media) {
    fs::path candidate = root / package.folder_name / name;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

// What a pinned file is to the package. The inventory and the metadata package are used whole, so
// they are copied as they are hashed; volumes are only read (placement checks every file it extracts).
enum class PinnedRole { kInventory, kMetadata, kApprovals, kVolume };

// The words the errors use for the file.
const char* label(PinnedRole role) {
  switch (role) {
    case PinnedRole::kInventory:
      return "the inventory";
    case PinnedRole::kMetadata:
      return "the metadata package";
    case PinnedRole::kApprovals:
      return "the approvals file";
    case PinnedRole::kVolume:
      return "volume";
  }
  return "volume";
}

// Hashes the media file while copying it to `copy`; the copy appears under its name only if its bytes
// match the signed manifest. An existing copy of the right size was made that way by an earlier run.
Result<fs::path> copy_verified(const fs::path& from, const manifest::PinnedFile& pinned, const char* kind,
                               const fs::path& copy, Progress* progress) {
  boost::system::error_code ec;
  if (fs::is_regular_file(copy, ec) && fs::file_size(copy, ec) == pinned.size && !ec) return copy;
  fs::create_directories(copy.parent_path(), ec);
  if (ec) {
    return make_error(ExitCode::kOperational, copy.parent_path().string(),
                      "cannot create the folder for verified copies: " + ec.message(),
                      "check that the folder holding the --state ledger is writable");
  }
  auto out = AtomicFile::create(copy);
  if (!out) return std::unexpected(out.error());
  auto digest = copy_with_sha256(from, *out, progress);
  if (!digest) return std::unexpected(digest.error());
  if (*digest != pinned.sha256_hex) {
    return make_error(ExitCode::kIntegrity, from.string(),
                      std::string(kind) + " does not match its SHA-256 in the signed manifest",
                      "the media was altered or damaged: do not import it; export again or copy it again");
  }
  if (auto committed = out->commit(); !committed) return std::unexpected(committed.error());
  return copy;
}

Result<fs::path> check_pinned(const FoundPackage& package, const manifest::PinnedFile& pinned,
                              PinnedRole role, const std::vector<fs::path>& media,
                              const VerifyOptions& options) {
  const char* kind = label(role);
  auto path = locate(package, pinned.name, media);
  if (!path) {
    return make_error(ExitCode::kIntegrity, package.folder_name + "/" + pinned.name,
                      std::string(kind) + " is missing from every media folder given",
                      "copy it from the export media, or add the folder that holds it with another --media");
  }
  boost::system::error_code ec;
  auto size = fs::file_size(*path, ec);
  if (ec || size != pinned.size) {
    return make_error(ExitCode::kIntegrity, path->string(),
                      std::string(kind) + " has " + std::to_string(size) + " bytes; the manifest says " +
                          std::to_string(pinned.size),
                      "the copy is incomplete or altered: copy it again from the export media");
  }
  if (options.check_hashes && options.keep_copies_in && role != PinnedRole::kVolume) {
    return copy_verified(*path, pinned, kind, *options.keep_copies_in / pinned.name, options.progress);
  }
  if (options.check_hashes) {
    auto digest = sha256_file(*path, options.progress);
    if (!digest) return std::unexpected(digest.error());
    if (*digest != pinned.sha256_hex) {
      return make_error(ExitCode::kIntegrity, path->string(),
                        std::string(kind) + " does not match its SHA-256 in the signed manifest",
                        "the media was altered or damaged: do not import it; export again or copy it again");
    }
  }
  return *path;
}

// The inventory is pinned by hash, so once that matched its lines are the exporter's; still, they
// are parsed strictly and must add up to the manifest's summary.
Result<void> check_inventory_lines(const fs::path& inventory, const manifest::InventorySummary& summary) {
  auto reader = manifest::InventoryReader::open(inventory);
  if (!reader) return std::unexpected(reader.error());
  std::uint64_t files = 0, bytes = 0, carried = 0, carried_bytes = 0;
  while (true) {
    auto entry = reader->next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) break;
    ++files;
    bytes += (*entry)->size;
    if ((*entry)->carried) {
      ++carried;
      carried_bytes += (*entry)->size;
    }
  }
  if (files != summary.file_count || bytes != summary.total_bytes || carried != summary.carried_count ||
      carried_bytes != summary.carried_bytes) {
    return make_error(ExitCode::kIntegrity, inventory.string(), "does not add up to the manifest's summary",
                      "the package is inconsistent: export it again");
  }
  return {};
}

}  // namespace

// The source a package claims, read only to tell two export servers' chains apart on one medium;
// nothing is believed until verify_package has checked the signatures.
std::string claimed_source(const fs::path& manifest) {
  auto bytes = read_small_file(manifest, manifest::kMaxManifestBytes);
  if (!bytes) return {};
  auto parsed = manifest::parse_manifest(*bytes, manifest.string());
  return parsed ? parsed->source_id : std::string();
}

Result<MediaListing> find_packages(const std::vector<fs::path>& media) {
  MediaListing listing;
  // Keyed by (claimed source, sequence): several export servers may share a stick, each in its own
  // folder, and each chain has its own sequence 1.
  std::map<std::pair<std::uint64_t, std::string>, FoundPackage> by_sequence;
  std::set<std::uint64_t> complete;
  for (const auto& root : media) {
    boost::system::error_code ec;
    if (!fs::is_directory(root, ec)) {
      return make_error(ExitCode::kOperational, root.string(), "is not a folder (or cannot be read)",
                        "give the folder on the media that holds the wsus-airgap-NNNNNN package folders");
    }
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      auto sequence = manifest::parse_package_folder_name(name);
      if (!sequence || !fs::is_directory(it->symlink_status())) continue;
      if (!fs::is_regular_file(it->path() / kManifestFileName)) continue;
      auto key = std::make_pair(*sequence, claimed_source(it->path() / kManifestFileName));
      auto [slot, inserted] = by_sequence.try_emplace(key, FoundPackage{*sequence, name, it->path()});
      if (!inserted) {
        return make_error(ExitCode::kOperational, name,
                          "has a manifest in two media folders: " + slot->second.dir.string() + " and " +
                              it->path().string(),
                          "keep one copy of each package folder's manifest.json");
      }
      complete.insert(*sequence);
    }
    if (ec) return make_error(ExitCode::kOperational, root.string(), "cannot list: " + ec.message());
  }
  // Folders without a manifest anywhere: interrupted exports or partial copies.
  for (const auto& root : media) {
    boost::system::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      bool partial = name.ends_with(".partial") && name.starts_with("wsus-airgap-");
      auto sequence = manifest::parse_package_folder_name(name);
      if (partial || (sequence && !complete.contains(*sequence))) listing.incomplete.push_back(it->path());
    }
  }
  for (auto& [sequence, package] : by_sequence) listing.packages.push_back(std::move(package));
  return listing;
}

Result<VerifiedPackage> verify_package(const FoundPackage& package, const std::vector<fs::path>& media,
                                       const manifest::TrustStore& trust, const VerifyOptions& options) {
  VerifiedPackage verified;
  verified.found = package;
  fs::path manifest_path = package.dir / kManifestFileName;
  auto manifest_bytes = read_small_file(manifest_path, manifest::kMaxManifestBytes);
  if (!manifest_bytes) return std::unexpected(manifest_bytes.error());

  // Authenticity first: nothing in an unsigned manifest is believed, not even its file names.
  auto signatures_path = locate(package, kSignaturesFileName, media);
  if (!signatures_path) {
    return make_error(ExitCode::kIntegrity, package.folder_name, "has no signatures.json: it is not signed",
                      "export it again with --key, or copy signatures.json from the export media");
  }
  auto signatures_bytes = read_small_file(*signatures_path, manifest::kMaxManifestBytes);
  if (!signatures_bytes) return std::unexpected(signatures_bytes.error());
  auto signatures = manifest::parse_signatures(*signatures_bytes, signatures_path->string());
  if (!signatures) return std::unexpected(signatures.error());
  verified.signatures = manifest::check_signatures(*manifest_bytes, *signatures, trust);
  if (!verified.signatures.invalid.empty()) {
    return make_error(ExitCode::kIntegrity, package.folder_name,
                      "signature by trusted key " + join_ids(verified.signatures.invalid) +
                          " does not match the manifest: the manifest was altered after signing",
                      "do not import this package; export it again on the connected server");
  }
  if (!verified.signatures.meets(options.threshold)) {
    return make_error(
        ExitCode::kIntegrity, package.folder_name,
        "has " + std::to_string(verified.signatures.valid.size()) + " valid signature(s) by trusted keys (" +
            join_ids(verified.signatures.valid) + "), " + std::to_string(options.threshold) +
            " required; signed by untrusted keys: " + join_ids(verified.signatures.untrusted),
        "pass the signers' public keys with --trust, or have more trusted keys sign the export");
  }

  auto parsed = manifest::parse_manifest(*manifest_bytes, manifest_path.string());
  if (!parsed) return std::unexpected(parsed.error());
  verified.manifest = std::move(*parsed);
  verified.manifest_sha256 = sha256_hex(*manifest_bytes);
  if (verified.manifest.sequence != package.sequence) {
    return make_error(ExitCode::kIntegrity, package.folder_name,
                      "holds the manifest of sequence " + std::to_string(verified.manifest.sequence),
                      "the folder was renamed; restore its name " +
                          manifest::package_folder_name(verified.manifest.sequence));
  }

  // Intact: every pinned file, cheapest first so a missing volume is reported before hours of hashing.
  const auto& m = verified.manifest;
  std::vector<std::pair<const manifest::PinnedFile*, PinnedRole>> pinned;
  pinned.emplace_back(&m.inventory.file, PinnedRole::kInventory);
  if (m.metadata) pinned.emplace_back(&*m.metadata, PinnedRole::kMetadata);
  if (m.approvals) pinned.emplace_back(&*m.approvals, PinnedRole::kApprovals);
  if (!m.approvals && locate(package, manifest::kApprovalsFileName, media)) {
    return make_error(ExitCode::kIntegrity, package.folder_name + "/" + manifest::kApprovalsFileName,
                      "is in the package folder, but the signed manifest does not pin it",
                      "the file was added after the export was signed: remove it, or export again");
  }
  for (const auto& volume : m.volumes) pinned.emplace_back(&volume, PinnedRole::kVolume);
  VerifyOptions sizes_only = options;
  sizes_only.check_hashes = false;
  std::vector<fs::path> paths;
  for (const auto& [file, role] : pinned) {
    auto found = check_pinned(package, *file, role, media, sizes_only);
    if (!found) return std::unexpected(found.error());
    paths.push_back(*found);
  }
  if (options.check_hashes) {
    auto checked = parallel_for(pinned.size(), 0, [&](std::size_t i) -> Result<void> {
      if (options.already_hashed && options.already_hashed(*pinned[i].first, paths[i])) return {};
      auto hashed = check_pinned(package, *pinned[i].first, pinned[i].second, media, options);
      if (!hashed) return std::unexpected(hashed.error());
      paths[i] = *hashed;  // the verified copy, when one was made: from here on only it is read
      return {};
    });
    if (!checked) return std::unexpected(checked.error());
  }
  std::size_t next = 0;
  verified.inventory = paths[next++];
  if (m.metadata) verified.metadata = paths[next++];
  if (m.approvals) verified.approvals = paths[next++];
  verified.volumes.assign(paths.begin() + static_cast<std::ptrdiff_t>(next), paths.end());
  if (options.check_hashes) {
    if (auto lines = check_inventory_lines(verified.inventory, m.inventory); !lines) {
      return std::unexpected(lines.error());
    }
  }
  return verified;
}

}  // namespace wsa::verify

namespace wsa::verify {

bool MediaCheck::all_good() const {
  return std::all_of(packages.begin(), packages.end(), [](const Entry& entry) { return !entry.error; });
}

Result<MediaCheck> verify_media(const std::vector<fs::path>& media, const manifest::TrustStore& trust,
                                const VerifyOptions& options) {
  auto listing = find_packages(media);
  if (!listing) return std::unexpected(listing.error());
  MediaCheck check;
  check.incomplete = listing->incomplete;
  for (const auto& package : listing->packages) {
    MediaCheck::Entry entry{package, std::nullopt, std::nullopt};
    auto verified = verify_package(package, media, trust, options);
    if (verified)
      entry.verified = std::move(*verified);
    else
      entry.error = verified.error();
    check.packages.push_back(std::move(entry));
  }
  return check;
}

}  // namespace wsa::verify
