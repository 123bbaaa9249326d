#include "verify/store_listing.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <iterator>

#include "common/platform.h"
#include "verify/content_store.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// One `XX` folder's share of a listing, kept apart so threads never share a vector.
struct FolderListing {
  std::vector<ListedFile> files;  // sorted by canonical path
  std::vector<std::string> irregular;
};

// The entry of `known` that is the file at `spelled` ("folder/name" as the disk spells it), if any.
const ListedFile* known_as(const std::vector<ListedFile>& known, const std::string& canonical,
                           std::string_view spelled) {
  auto it = std::lower_bound(known.begin(), known.end(), canonical,
                             [](const ListedFile& file, const std::string& key) { return file.path < key; });
  return it != known.end() && it->path == canonical && it->spelled() == spelled ? &*it : nullptr;
}

// As content_store.cpp's scan of a folder, with a stat only for content files `known` does not hold.
Result<FolderListing> list_one(const fs::path& root, const std::string& folder,
                               const std::vector<ListedFile>& known) {
  auto unknown = [&](std::string_view name) {
    std::string relative = folder + "/" + std::string(name);
    auto parsed = wsus::parse_content_path(relative);
    return parsed && known_as(known, parsed->relative_path(), relative) == nullptr;
  };
  auto entries = platform::list_folder(root / folder, unknown);
  if (!entries) return std::unexpected(entries.error());
  FolderListing listing;
  listing.files.reserve(entries->size());
  for (auto& entry : *entries) {
    std::string relative = folder + "/" + entry.name;
    auto parsed = wsus::parse_content_path(relative);
    if (!parsed) continue;  // not a content name: never one of the store's files
    ListedFile file{parsed->relative_path(), {}, 0};
    if (entry.facts) {
      if (!entry.facts->regular) {
        listing.irregular.push_back(std::move(relative));
        continue;
      }
      file.size = entry.facts->size;
    } else {
      file.size = known_as(known, file.path, relative)->size;
    }
    if (relative != file.path) file.found_as = std::move(relative);
    listing.files.push_back(std::move(file));
  }
  std::sort(listing.files.begin(), listing.files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return listing;
}

}  // namespace

fs::path ListedFile::disk_path(const fs::path& root) const {
  const std::string& relative = spelled();
  return root / relative.substr(0, 2) / relative.substr(3);
}

void StoreListing::add_known(std::vector<ListedFile> placed) {
  std::vector<ListedFile> merged;
  merged.reserve(files_.size() + placed.size());
  auto old = files_.begin();
  for (auto& file : placed) {
    while (old != files_.end() && old->path < file.path) merged.push_back(std::move(*old++));
    if (old != files_.end() && old->path == file.path) ++old;
    file.found_as.clear();  // placed under its canonical name
    merged.push_back(std::move(file));
  }
  std::move(old, files_.end(), std::back_inserter(merged));
  files_ = std::move(merged);
}

Result<void> StoreListing::list() {
  boost::system::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    return make_error(ExitCode::kOperational, root_.string(), "is not a folder (or cannot be read)",
                      "give the WsusContent folder with --content");
  }
  auto unknown_folder = [&](std::string_view name) {
    return !std::binary_search(folders_.begin(), folders_.end(), name, std::less<>());
  };
  auto top = platform::list_folder(root_, unknown_folder);
  if (!top) return std::unexpected(top.error());
  std::vector<std::string> folders;
  for (auto& entry : *top) {
    if (!entry.facts || entry.facts->folder) folders.push_back(std::move(entry.name));
  }
  sort_store_folders(folders);

  std::vector<FolderListing> listings(folders.size());
  auto listed = parallel_for(folders.size(), 0, [&](std::size_t i) -> Result<void> {
    auto listing = list_one(root_, folders[i], files_);
    if (!listing) return std::unexpected(listing.error());
    listings[i] = std::move(*listing);
    return {};
  });
  if (!listed) return std::unexpected(listed.error());

  std::size_t total = 0;
  for (const auto& listing : listings) total += listing.files.size();
  std::vector<ListedFile> found;
  found.reserve(total);
  std::vector<std::string> irregular;
  for (auto& listing : listings) {
    std::move(listing.files.begin(), listing.files.end(), std::back_inserter(found));
    std::move(listing.irregular.begin(), listing.irregular.end(), std::back_inserter(irregular));
    listing = {};  // frees the folder's share as soon as it is copied
  }
  if (auto sorted = sort_refusing_case_twins(found, root_); !sorted) return std::unexpected(sorted.error());
  files_ = std::move(found);
  std::sort(folders.begin(), folders.end());
  folders_ = std::move(folders);
  std::sort(irregular.begin(), irregular.end());
  irregular_ = std::move(irregular);
  return {};
}

ListedEntry StoreListing::find(std::string_view folder, std::string_view name) const {
  if (!std::binary_search(folders_.begin(), folders_.end(), folder, std::less<>())) return {};
  std::string relative = std::string(folder) + "/" + std::string(name);
  auto parsed = wsus::parse_content_path(relative);
  if (!parsed || std::binary_search(irregular_.begin(), irregular_.end(), relative)) return {};
  const std::string canonical = parsed->relative_path();
  auto it = std::lower_bound(files_.begin(), files_.end(), canonical,
                             [](const ListedFile& file, const std::string& key) { return file.path < key; });
  if (it == files_.end() || it->path != canonical) return {ListedAs::kAbsent, 0};
  // Listed under another spelling: whether this one reaches it depends on the file system's case rules.
  if (it->spelled() != relative) return {};
  return {ListedAs::kRegular, it->size};
}

}  // namespace wsa::verify
