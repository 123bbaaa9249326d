#include "import/import_steps.h"

#include <algorithm>
#include <map>

#include "manifest/inventory.h"
#include "verify/content_store.h"
#include "verify/gap_report.h"

namespace wsa::importing {

namespace {

// Every inventory file must be on disk with its size once content is placed; what is not becomes a
// gap the offline server's console would later show as "Failed to download".
std::vector<MissingFile> find_missing(const verify::VerifiedPackage& package, const fs::path& content) {
  auto present = value_or_throw(verify::list_content_store(content, nullptr));
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<MissingFile> missing;
  auto disk = present.begin();
  while (true) {
    auto entry = value_or_throw(inventory.next());
    if (!entry) break;
    while (disk != present.end() && disk->path < entry->path) ++disk;
    if (disk == present.end() || disk->path != entry->path) {
      missing.push_back({entry->path, "missing", {}, {}, {}});
    } else if (disk->size != entry->size) {
      missing.push_back({entry->path, "wrong size", {}, {}, {}});
    }
  }
  return missing;
}

// Names the updates that need the missing files, and adds the files the metadata references that the
// inventory never listed (the export server lacks them too, but WSUS here will still want them).
std::optional<verify::GapReport> name_updates(const verify::VerifiedPackage& package, const fs::path& content,
                                              state::Ledger& ledger, std::vector<MissingFile>& missing) {
  if (!package.metadata) return std::nullopt;
  verify::GapOptions options;
  options.ledger = &ledger;
  // Best effort: the package is applied by now, and a report without titles beats a run marked failed.
  auto found_gaps = verify::find_gaps(content, *package.metadata, options);
  // Except a package the reader understood nothing of: that must never pass as "nothing missing".
  if (!found_gaps && found_gaps.error().code == ExitCode::kUnreadablePackage)
    throw AirgapError(found_gaps.error());
  if (!found_gaps) return std::nullopt;
  const auto& gaps = *found_gaps;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < missing.size(); ++i) index[missing[i].path] = i;
  for (const auto& update : gaps.updates) {
    for (const auto& file : update.files) {
      auto found = index.find(file.path);
      if (found == index.end()) {
        index[file.path] = missing.size();
        missing.push_back({file.path, file.problem, {}, {}, {}});
        found = index.find(file.path);
      }
      MissingFile& entry = missing[found->second];
      if (entry.update_id.empty()) {
        entry.update_id = update.update_id;
        entry.title = update.title;
        entry.kb = update.kb;
      }
    }
  }
  std::sort(missing.begin(), missing.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return std::move(*found_gaps);
}

}  // namespace

// What the offline server still lacks once a package is in: its inventory against the disk, then
// the metadata, which also names the updates ("Failed to download" in the console).
void check_gaps(const verify::VerifiedPackage& package, const fs::path& content, state::Ledger& ledger,
                ImportReport& report) {
  report.missing_details = find_missing(package, content);
  report.gaps = name_updates(package, content, ledger, report.missing_details);
  report.missing.clear();
  for (const auto& file : report.missing_details) report.missing.push_back(file.path);
}

}  // namespace wsa::importing
