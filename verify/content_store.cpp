#include "verify/content_store.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/platform.h"
#include "common/progress.h"
#include "state/ledger.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// How often freshly computed hashes are written to the ledger's cache during a scan: each write is one
// transaction, so batches keep the cost per file small while bounding what an interrupted scan loses.
constexpr std::size_t kCacheBatchFiles = 1000;
constexpr std::chrono::seconds kCacheBatchInterval{2};

// One file as the walk saw it; the times are filled where one system call gives them with the size.
struct FoundFile {
  ContentPresence presence;
  std::optional<std::int64_t> mtime_ns;
  std::optional<std::uint64_t> file_id;
};

// A re-scan of an unchanged tree is nothing but these calls, so each extra stat per file shows.
Result<platform::FileFacts> entry_facts(const fs::directory_entry& entry) {
  return platform::file_facts(entry.path());
}

// WsusContent is flat: two-character folders holding the files. Anything else is not WSUS content
// and is reported rather than carried.
Result<std::vector<FoundFile>> walk(const fs::path& root, std::vector<fs::path>* foreign) {
  boost::system::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(ExitCode::kOperational, root.string(), "is not a folder (or cannot be read)",
                      "give the WsusContent folder with --content");
  }
  std::vector<FoundFile> found;
  for (fs::directory_iterator folder(root, ec), end; !ec && folder != end; folder.increment(ec)) {
    const fs::path& folder_path = folder->path();
    if (!fs::is_directory(folder->symlink_status())) {
      if (foreign != nullptr) foreign->push_back(folder_path);
      continue;
    }
    boost::system::error_code inner;
    for (fs::directory_iterator file(folder_path, inner); !inner && file != end; file.increment(inner)) {
      std::string relative = folder_path.filename().string() + "/" + file->path().filename().string();
      auto name = wsus::parse_content_path(relative);
      std::optional<platform::FileFacts> facts;
      if (name) {
        auto read = entry_facts(*file);
        if (!read) return std::unexpected(read.error());
        facts = *read;
      }
      if (!facts || !facts->regular) {
        if (foreign != nullptr) foreign->push_back(file->path());
        continue;
      }
      found.push_back({{name->relative_path(), file->path(), facts->size}, facts->mtime_ns, facts->file_id});
    }
    if (inner)
      return make_error(ExitCode::kOperational, folder_path.string(), "cannot list: " + inner.message());
  }
  if (ec) return make_error(ExitCode::kOperational, root.string(), "cannot list: " + ec.message());
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.presence.path < b.presence.path; });
  // On a case-sensitive file system "ab/X" and "AB/X" are two files with one canonical name.
  auto duplicate = std::adjacent_find(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.presence.path == b.presence.path;
  });
  if (duplicate != found.end()) {
    return make_error(
        ExitCode::kOperational, duplicate->presence.disk_path.string(),
        "has the same name, ignoring case, as " + std::next(duplicate)->presence.disk_path.string(),
        "keep one of them: WSUS on Windows sees only one");
  }
  return found;
}

}  // namespace

Result<void> parallel_for(std::size_t count, unsigned threads,
                          const std::function<Result<void>(std::size_t)>& work) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(count, 1)));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::optional<Error> first_error;
  std::mutex error_mutex;
  auto worker = [&] {
    while (!stop) {
      std::size_t index = next++;
      if (index >= count) return;
      auto done = work(index);
      if (!done) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = done.error();
        stop = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  if (first_error) return std::unexpected(*first_error);
  return {};
}

Result<std::vector<ContentPresence>> list_content_store(const fs::path& root,
                                                        std::vector<fs::path>* foreign) {
  auto found = walk(root, foreign);
  if (!found) return std::unexpected(found.error());
  std::vector<ContentPresence> presences;
  presences.reserve(found->size());
  for (auto& file : *found) presences.push_back(std::move(file.presence));
  return presences;
}

Result<ContentListing> scan_content_store(const fs::path& root, state::Ledger* cache,
                                          const ScanOptions& options) {
  ContentListing listing;
  // The walk waits on the file system and loading the cache on SQLite: on two cores, overlap them.
  std::future<Result<std::unordered_map<std::string, state::CachedHash>>> cache_load;
  if (cache != nullptr && !options.rehash) {
    cache_load = std::async(std::launch::async, [cache] { return cache->all_cached_hashes(); });
  }
  auto found = walk(root, &listing.foreign_files);
  std::unordered_map<std::string, state::CachedHash> cached_hashes;
  if (cache_load.valid()) {
    auto loaded = cache_load.get();
    if (!loaded) return std::unexpected(loaded.error());
    cached_hashes = std::move(*loaded);
  }
  if (!found) return std::unexpected(found.error());

  listing.files.reserve(found->size());
  std::vector<std::size_t> to_hash;
  std::uint64_t bytes_to_hash = 0;
  for (auto& found_file : *found) {
    ContentFile file;
    file.path = std::move(found_file.presence.path);
    file.disk_path = std::move(found_file.presence.disk_path);
    file.size = found_file.presence.size;
    if (found_file.mtime_ns) {
      file.mtime_ns = *found_file.mtime_ns;
      file.file_id = found_file.file_id;
    } else {
      auto mtime = platform::modification_time_ns(file.disk_path);
      if (!mtime) return std::unexpected(mtime.error());
      file.mtime_ns = *mtime;
      file.file_id = platform::file_id(file.disk_path);
    }
    listing.total_bytes += file.size;
    if (auto cached = cached_hashes.find(file.path); cached != cached_hashes.end()) {
      const state::CachedHash& hash = cached->second;
      // The quick check: same size and time (and file id where known) means same bytes.
      if (hash.size == file.size && hash.mtime_ns == file.mtime_ns &&
          (!hash.file_id || !file.file_id || *hash.file_id == *file.file_id)) {
        file.digests = {hash.sha256_hex, hash.sha1_hex, file.size};
        file.from_cache = true;
        ++listing.cached_files;
      }
    }
    if (!file.from_cache) {
      to_hash.push_back(listing.files.size());
      bytes_to_hash += file.size;
    }
    listing.files.push_back(std::move(file));
  }

  if (options.progress != nullptr) options.progress->advance(0, 0);
  // Hashes reach the cache in batches while the scan runs, so a killed export (or a power cut) loses at
  // most one batch and the next run re-reads only what was not yet hashed.
  std::mutex cache_mutex;  // the ledger is used by one thread at a time
  std::vector<std::pair<std::string, state::CachedHash>> pending;
  auto last_store = std::chrono::steady_clock::now();
  auto store_pending = [&]() -> Result<void> {
    if (pending.empty()) return {};
    auto stored = cache->store_hashes(pending);
    pending.clear();
    last_store = std::chrono::steady_clock::now();
    return stored;
  };
  auto hashed = parallel_for(to_hash.size(), options.threads, [&](std::size_t i) -> Result<void> {
    ContentFile& file = listing.files[to_hash[i]];
    auto digests = hash_file(file.disk_path, options.progress);
    if (!digests) return std::unexpected(digests.error());
    file.digests = std::move(*digests);
    if (options.progress != nullptr) options.progress->advance(0, 1);
    if (cache == nullptr) return {};
    std::lock_guard lock(cache_mutex);
    pending.emplace_back(file.path, state::CachedHash{file.size, file.mtime_ns, file.file_id,
                                                      file.digests.sha256_hex, file.digests.sha1_hex});
    if (pending.size() >= kCacheBatchFiles ||
        std::chrono::steady_clock::now() - last_store >= kCacheBatchInterval) {
      return store_pending();
    }
    return {};
  });
  // What was hashed before a failure is still true: keep it for the next run.
  auto stored = cache != nullptr ? store_pending() : Result<void>{};
  if (!hashed) return std::unexpected(hashed.error());
  if (!stored) return std::unexpected(stored.error());
  listing.hashed_files = to_hash.size();
  listing.hashed_bytes = bytes_to_hash;
  return listing;
}

}  // namespace wsa::verify
