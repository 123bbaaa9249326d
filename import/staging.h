#pragma once
// What staging needs before a file's bytes arrive: the next file the volumes carry, which names a
// content folder already holds, and the staging files of new content created ahead of the copy.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/error.h"
#include "common/platform.h"
#include "manifest/inventory.h"

namespace wsa::importing {

namespace fs = boost::filesystem;

// The next inventory entry the volumes carry (entries only listed are passed over).
Result<std::optional<manifest::InventoryEntry>> next_carried(manifest::InventoryReader& inventory);

// The names in one `XX/` folder, read once (no stat per file) when the inventory, which is in path
// order, reaches that folder: a file whose name is not there is new and costs no look at the disk.
class FolderNames {
 public:
  explicit FolderNames(fs::path content) : content_(std::move(content)) {}
  // Whether `content/path` (a canonical "XX/<SHA1>.ext") was listed; calls must come in path order.
  bool contains(const std::string& path);

 private:
  fs::path content_;
  std::string prefix_;
  std::set<std::string> names_;
};

// Creates the staging file of every carried inventory file that WsusContent does not hold, on a
// thread of its own and at most kAhead files ahead of the copy.
class StagingOpener {
 public:
  static constexpr std::size_t kAhead = 32;
  // Reads `inventory` (a verified copy) on its own; files go to `staging` under their SHA-1 names.
  StagingOpener(const fs::path& inventory, const fs::path& content, const fs::path& staging);
  StagingOpener(const StagingOpener&) = delete;
  StagingOpener& operator=(const StagingOpener&) = delete;
  // Stops the thread and closes the files not taken (the staging folder's cleanup removes them).
  ~StagingOpener();
  // The staging file of carried file number `index` (0-based, in next_carried's order), created
  // empty; nullopt when this did not create it (its name was present), and the caller creates it.
  // Calls must come in ascending `index` order.
  std::optional<Result<platform::OutputFile>> take(std::uint64_t index);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wsa::importing
