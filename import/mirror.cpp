#include "import/mirror.h"

#include <boost/filesystem/operations.hpp>

#include <unordered_set>

#include "manifest/inventory.h"
#include "verify/store_listing.h"
#include "wsus/export_package.h"

namespace wsa::importing {

namespace {

// Every SHA-1 the metadata package names: WSUS would mark those updates "failed to download" if the
// files went, so a mirror never removes them even when the export server no longer has them.
Result<std::unordered_set<std::string>> referenced_sha1s(const verify::VerifiedPackage& package) {
  std::unordered_set<std::string> referenced;
  if (!package.metadata) return referenced;
  wsus::PackageVisitor visitor;
  visitor.on_file = [&](const wsus::PackageFile& file) { referenced.insert(file.sha1_hex); };
  visitor.on_update = [&](const wsus::PackageUpdate& update) {
    referenced.insert(update.file_sha1_hex.begin(), update.file_sha1_hex.end());
  };
  auto read = wsus::read_export_package(*package.metadata, visitor);
  if (!read) return std::unexpected(read.error());
  return referenced;
}

}  // namespace

fs::path quarantine_root(const fs::path& content) {
  fs::path clean = content;
  // "D:\WsusContent\" has an empty last element; its parent is still the folder's parent.
  if (!clean.empty() && clean.filename_is_dot()) clean = clean.parent_path();
  return clean.parent_path() / "wsus-airgap-quarantine";
}

Result<MirrorPlan> plan_mirror(const verify::VerifiedPackage& package, verify::StoreListing& store,
                               const MirrorOptions& options) {
  MirrorPlan plan;
  plan.package = package.found.folder_name;
  if (auto listed = store.list(); !listed) return std::unexpected(listed.error());
  const std::vector<verify::ListedFile>& present = store.files();
  plan.offline_files = present.size();
  plan.inventory_files = package.manifest.inventory.file_count;

  // The /MIR-from-an-empty-source guard, checked before reading anything else.
  if (!options.force && plan.offline_files > 0 &&
      (plan.inventory_files == 0 ||
       plan.inventory_files * 100 < plan.offline_files * kSuspiciousInventoryPercent)) {
    plan.refusal =
        Error{ExitCode::kDeleteCap, plan.package,
              "its inventory lists " + std::to_string(plan.inventory_files) +
                  " file(s) but this WsusContent holds " + std::to_string(plan.offline_files) +
                  ": mirroring it would remove most of the content, so --mirror refuses it as suspicious; "
                  "nothing was imported or deleted",
              "check that the export ran against the right WsusContent; if the export server really "
              "dropped that content, add --force-mirror, or import without --mirror"};
    if (!options.dry_run) return std::unexpected(*plan.refusal);
  }

  auto referenced = referenced_sha1s(package);
  if (!referenced) return std::unexpected(referenced.error());
  auto inventory = manifest::InventoryReader::open(package.inventory);
  if (!inventory) return std::unexpected(inventory.error());
  // Both sides are sorted by canonical path: one merge walk, bounded memory in the inventory's size.
  std::optional<manifest::InventoryEntry> next;
  auto advance = [&]() -> Result<void> {
    auto entry = inventory->next();
    if (!entry) return std::unexpected(entry.error());
    next = std::move(*entry);
    return {};
  };
  if (auto first = advance(); !first) return std::unexpected(first.error());
  for (const auto& file : present) {
    while (next && next->path < file.path) {
      if (auto moved = advance(); !moved) return std::unexpected(moved.error());
    }
    if (next && next->path == file.path) continue;
    if (referenced->contains(file.path.substr(3, 40))) {
      plan.kept.push_back(file.path);
      continue;
    }
    plan.remove.push_back({file.path, file.disk_path(store.root()), file.size});
    plan.remove_bytes += file.size;
  }

  if (plan.remove.size() > options.max_delete && !plan.refusal) {
    plan.refusal =
        Error{ExitCode::kDeleteCap, plan.package,
              "--mirror would remove " + std::to_string(plan.remove.size()) +
                  " content file(s), more than --max-delete " + std::to_string(options.max_delete) +
                  " allows; nothing was imported or deleted",
              "look at the list with --dry-run --json, then raise --max-delete to at least " +
                  std::to_string(plan.remove.size()) + " if the export server really dropped them"};
    if (!options.dry_run) return std::unexpected(*plan.refusal);
  }
  return plan;
}

Result<MirrorResult> apply_mirror(const MirrorPlan& plan, const fs::path& content,
                                  const MirrorOptions& options) {
  MirrorResult result;
  if (plan.remove.empty() || options.dry_run) return result;
  fs::path folder = quarantine_root(content) / options.stamp;
  boost::system::error_code ec;
  for (const auto& file : plan.remove) {
    if (options.purge) {
      fs::remove(file.disk_path, ec);
    } else {
      fs::path target = folder / file.path;
      fs::create_directories(target.parent_path(), ec);
      // A rename, never a copy: the quarantine sits beside WsusContent, on the same volume.
      if (!ec) fs::rename(file.disk_path, target, ec);
      result.quarantine = folder;
    }
    if (ec) {
      return make_error(ExitCode::kOperational, file.disk_path.string(),
                        std::string("cannot ") + (options.purge ? "delete" : "move into " + folder.string()) +
                            ": " + ec.message() + " (" + std::to_string(result.removed.size()) + " of " +
                            std::to_string(plan.remove.size()) + " extra file(s) done)",
                        options.purge
                            ? "check permissions on the content folder, then import with --mirror again"
                            : "the quarantine must be on the content folder's volume and writable; or "
                              "use --purge to delete instead");
    }
    result.removed.push_back(file.path);
    result.bytes += file.size;
  }
  return result;
}

}  // namespace wsa::importing
