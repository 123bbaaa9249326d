#include "import/staging.h"

#include <boost/filesystem/directory.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace wsa::importing {

Result<std::optional<manifest::InventoryEntry>> next_carried(manifest::InventoryReader& inventory) {
  while (true) {
    auto entry = inventory.next();
    if (!entry || !*entry || (*entry)->carried) return entry;
  }
}

bool FolderNames::contains(const std::string& path) {
  std::string prefix = path.substr(0, 2);
  if (prefix != prefix_) {
    prefix_ = prefix;
    names_.clear();
    boost::system::error_code ec;
    for (fs::directory_iterator it(content_ / prefix, ec), end; !ec && it != end; it.increment(ec))
      names_.insert(it->path().filename().string());
  }
  return names_.contains(path.substr(3));
}

// Creating a file is the largest cost of staging after the copy itself (the inode allocation on
// ext4, an MFT record and the scanners' hooks on NTFS), and it needs only the file's name, which the
// signed inventory gives before the volumes reach the file: on a thread of its own it overlaps the
// reading, hashing and writing of the files before. It lists the content folders itself: a name the
// copy then finds present (a file arrived in between) only leaves an unused empty file in staging,
// and a name it found present and the copy did not is created by the copy.
struct StagingOpener::State {
  struct Created {
    std::uint64_t index = 0;
    Result<platform::OutputFile> file;
  };
  fs::path inventory;
  fs::path content;
  fs::path staging;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Created> ready;     // in index order
  std::uint64_t considered = 0;  // every carried index below this one is decided
  bool finished = false;         // the inventory is read to its end (or failed: the copy says why)
  bool stopping = false;
  std::thread worker;

  void run() {
    auto reader = manifest::InventoryReader::open(inventory);
    FolderNames present(content);
    for (std::uint64_t index = 0; reader; ++index) {
      auto entry = next_carried(*reader);
      if (!entry || !*entry) break;
      std::optional<Result<platform::OutputFile>> file;
      if (!present.contains((*entry)->path)) {
        file = platform::OutputFile::open(staging / (*entry)->path.substr(3),
                                          platform::OutputFile::Mode::kCreateNewUnbuffered);
      }
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return ready.size() < kAhead || stopping; });
      if (stopping) return;
      if (file) ready.push_back({index, std::move(*file)});
      considered = index + 1;
      changed.notify_all();
    }
    std::lock_guard lock(mutex);
    finished = true;
    changed.notify_all();
  }
};

StagingOpener::StagingOpener(const fs::path& inventory, const fs::path& content, const fs::path& staging)
    : state_(std::make_unique<State>()) {
  state_->inventory = inventory;
  state_->content = content;
  state_->staging = staging;
  state_->worker = std::thread([state = state_.get()] { state->run(); });
}

StagingOpener::~StagingOpener() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  state_->worker.join();
}

std::optional<Result<platform::OutputFile>> StagingOpener::take(std::uint64_t index) {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  while (true) {
    // Files created for entries the copy passed over (found present after all) are let go first,
    // which also makes room for the one asked for when the queue was full.
    while (!state.ready.empty() && state.ready.front().index < index) {
      state.ready.pop_front();
      state.changed.notify_all();
    }
    if (!state.ready.empty() && state.ready.front().index == index) {
      Result<platform::OutputFile> file = std::move(state.ready.front().file);
      state.ready.pop_front();
      state.changed.notify_all();
      return file;
    }
    if (!state.ready.empty() || state.considered > index || state.finished) return std::nullopt;
    state.changed.wait(lock);
  }
}

}  // namespace wsa::importing
