#include "import/import_steps.h"

#include <algorithm>
#include <map>

#include "manifest/inventory.h"
#include "verify/gap_report.h"
#include "verify/store_listing.h"

namespace wsa::importing {

namespace {

// Every inventory file must be on disk with its size once content is placed; what is not becomes a
// gap the offline server's console would later show as "Failed to download".
std::vector<manifest::MissingFile> find_missing(const verify::VerifiedPackage& package,
                                                const std::vector<verify::ListedFile>& present) {
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<manifest::MissingFile> missing;
  auto disk = present.begin();
  while (true) {
    auto entry = value_or_throw(inventory.next());
    if (!entry) break;
    while (disk != present.end() && disk->path < entry->path) ++disk;
    if (disk == present.end() || disk->path != entry->path) {
      missing.push_back({.path = entry->path, .problem = "missing"});
    } else if (disk->size != entry->size) {
      missing.push_back({.path = entry->path, .problem = "wrong size"});
    }
  }
  return missing;
}

// Names the updates that need the missing files, and adds the files the metadata references that the
// inventory never listed (the export server lacks them too, but WSUS here will still want them).
std::optional<verify::GapReport> name_updates(const verify::VerifiedPackage& package,
                                              const verify::StoreListing& store, state::Ledger& ledger,
                                              std::vector<manifest::MissingFile>& missing) {
  if (!package.metadata) return std::nullopt;
  verify::GapOptions options;
  options.ledger = &ledger;
  options.listing = &store;
  // Best effort: the package is applied by now, and a report without titles beats a run marked failed.
  auto found_gaps = verify::find_gaps(store.root(), *package.metadata, options);
  // Except a package the reader understood nothing of: that must never pass as "nothing missing".
  if (!found_gaps && found_gaps.error().code == ExitCode::kUnreadablePackage)
    throw AirgapError(found_gaps.error());
  if (!found_gaps) return std::nullopt;
  const auto& gaps = *found_gaps;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < missing.size(); ++i) index[missing[i].path] = i;
  for (const auto& file : gaps.missing_files()) {
    auto found = index.find(file.path);
    if (found == index.end()) {
      missing.push_back(file);
      continue;
    }
    // The inventory's word for the problem stands; the metadata adds the update.
    manifest::MissingFile& entry = missing[found->second];
    entry.update_id = file.update_id;
    entry.title = file.title;
    entry.kb = file.kb;
  }
  std::sort(missing.begin(), missing.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return std::move(*found_gaps);
}

}  // namespace

// What the offline server still lacks once a package is in: its inventory against the disk, then
// the metadata, which also names the updates ("Failed to download" in the console). Both read one
// listing of the store made now, after placement, so a file missing from the disk is seen as missing.
void check_gaps(const verify::VerifiedPackage& package, verify::StoreListing& store, state::Ledger& ledger,
                ImportReport& report) {
  value_or_throw(store.list());
  report.missing = find_missing(package, store.files());
  report.gaps = name_updates(package, store, ledger, report.missing);
}

}  // namespace wsa::importing
