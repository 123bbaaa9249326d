#include "verify/content_lookup.h"

#include <boost/filesystem/directory.hpp>

#include <algorithm>
#include <string_view>

#include "common/platform.h"
#include "common/text.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// Whether it is there, a regular file, and its size: from the listing when it found the file (or, for
// `absent_is_final`, found nothing there), else one lstat.
std::optional<Found> look_at(const fs::path& path, const std::string& folder, const StoreListing* listing,
                             bool absent_is_final) {
  const std::string name = path.filename().string();
  auto canonical = [&] {
    auto parsed = wsus::parse_content_path(folder + "/" + name);
    return parsed ? parsed->relative_path() : std::string();
  };
  if (listing != nullptr) {
    auto listed = listing->find(path.parent_path().filename().string(), name);
    if (listed.as == ListedAs::kRegular) return Found{canonical(), path, listed.size, true, nullptr};
    if (listed.as == ListedAs::kAbsent && absent_is_final) return std::nullopt;
  }
  auto facts = platform::file_facts(path);
  if (!facts) return std::nullopt;
  return Found{canonical(), path, facts->size, facts->regular, nullptr};
}

}  // namespace

std::optional<Found> DiskLookup::find(const std::string& sha1_hex,
                                      const std::optional<std::string>& extension) {
  const std::string folder = sha1_hex.substr(38, 2);
  if (extension) {
    fs::path exact = root_ / folder / (extension->empty() ? sha1_hex : sha1_hex + "." + *extension);
    if (auto found = look_at(exact, folder, listing_, true)) return found;
  }
  const std::vector<std::pair<std::string, fs::path>>& listing = folder_listing(folder);
  const std::string wanted =
      extension ? to_upper_ascii(extension->empty() ? sha1_hex : sha1_hex + "." + *extension) : "";
  for (const auto& [name, disk_path] : listing) {
    bool match =
        extension ? name == wanted
                  : name == sha1_hex || (name.size() > 41 && name.starts_with(sha1_hex) && name[40] == '.');
    if (!match) continue;
    // A name read just now that the run's listing did not see is looked at.
    if (auto found = look_at(disk_path, folder, listing_, false)) return found;
  }
  return std::nullopt;
}

const std::vector<std::pair<std::string, fs::path>>& DiskLookup::folder_listing(const std::string& folder) {
  std::lock_guard lock(mutex_);
  if (!root_listed_) {
    boost::system::error_code ec;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = to_upper_ascii(it->path().filename().string());
      if (name.size() == 2) folder_paths_[name].push_back(it->path());
    }
    root_listed_ = true;
  }
  auto [slot, inserted] = listings_.try_emplace(folder);
  if (inserted) {
    for (const auto& folder_path : folder_paths_[folder]) {
      boost::system::error_code ec;
      for (fs::directory_iterator it(folder_path, ec), end; !ec && it != end; it.increment(ec)) {
        slot->second.emplace_back(to_upper_ascii(it->path().filename().string()), it->path());
      }
    }
  }
  return slot->second;
}

std::optional<Found> ScanLookup::find(const std::string& sha1_hex,
                                      const std::optional<std::string>& extension) const {
  const std::string stem = sha1_hex.substr(38, 2) + "/" + sha1_hex;  // canonical up to the extension
  const auto& files = listing_.files;
  auto it = std::lower_bound(files.begin(), files.end(), stem,
                             [](const ContentFile& file, const std::string& key) { return file.path < key; });
  for (; it != files.end() && it->path.starts_with(stem); ++it) {
    std::string_view rest = std::string_view(it->path).substr(stem.size());  // "" or ".ext"
    bool match = !extension           ? rest.empty() || rest.front() == '.'
                 : extension->empty() ? rest.empty()
                                      : rest.size() == extension->size() + 1 && rest.front() == '.' &&
                                            to_upper_ascii(rest.substr(1)) == to_upper_ascii(*extension);
    if (match) return Found{it->path, listing_.disk_path(*it), it->size, true, &*it};
  }
  return std::nullopt;
}

}  // namespace wsa::verify
