#include "verify/content_store.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "common/platform.h"
#include "common/progress.h"
#include "state/ledger.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// WsusContent is flat: two-character folders holding the files. Anything else is not WSUS content
// and is reported rather than carried.
Result<std::vector<ContentPresence>> walk(const fs::path& root, std::vector<fs::path>* foreign) {
  boost::system::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(ExitCode::kOperational, root.string(), "is not a folder (or cannot be read)",
                      "give the WsusContent folder with --content");
  }
  std::vector<ContentPresence> found;
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
      if (!name || !fs::is_regular_file(file->symlink_status())) {
        if (foreign != nullptr) foreign->push_back(file->path());
        continue;
      }
      boost::system::error_code size_ec;
      auto size = fs::file_size(file->path(), size_ec);
      if (size_ec) return make_error(ExitCode::kOperational, file->path().string(), "cannot read: " + size_ec.message());
      found.push_back({name->relative_path(), file->path(), size});
    }
    if (inner) return make_error(ExitCode::kOperational, folder_path.string(), "cannot list: " + inner.message());
  }
  if (ec) return make_error(ExitCode::kOperational, root.string(), "cannot list: " + ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  // On a case-sensitive file system "ab/X" and "AB/X" are two files with one canonical name.
  auto duplicate = std::adjacent_find(found.begin(), found.end(),
                                      [](const auto& a, const auto& b) { return a.path == b.path; });
  if (duplicate != found.end()) {
    return make_error(ExitCode::kOperational, duplicate->disk_path.string(),
                      "has the same name, ignoring case, as " + std::next(duplicate)->disk_path.string(),
                      "keep one of them: WSUS on Windows sees only one");
  }
  return found;
}

}  // namespace

Result<void> parallel_for(std::size_t count, unsigned threads, const std::function<Result<void>(std::size_t)>& work) {
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

Result<std::vector<ContentPresence>> list_content_store(const fs::path& root, std::vector<fs::path>* foreign) {
  return walk(root, foreign);
}

Result<ContentListing> scan_content_store(const fs::path& root, state::Ledger* cache, const ScanOptions& options) {
  ContentListing listing;
  auto found = walk(root, &listing.foreign_files);
  if (!found) return std::unexpected(found.error());

  listing.files.reserve(found->size());
  std::vector<std::size_t> to_hash;
  std::uint64_t bytes_to_hash = 0;
  for (auto& presence : *found) {
    ContentFile file;
    file.path = std::move(presence.path);
    file.disk_path = std::move(presence.disk_path);
    file.size = presence.size;
    auto mtime = platform::modification_time_ns(file.disk_path);
    if (!mtime) return std::unexpected(mtime.error());
    file.mtime_ns = *mtime;
    file.file_id = platform::file_id(file.disk_path);
    listing.total_bytes += file.size;
    if (cache != nullptr && !options.rehash) {
      auto cached = cache->cached_hash(file.path);
      if (!cached) return std::unexpected(cached.error());
      // The quick check: same size and time (and file id where known) means same bytes.
      if (*cached && (*cached)->size == file.size && (*cached)->mtime_ns == file.mtime_ns &&
          (!(*cached)->file_id || !file.file_id || *(*cached)->file_id == *file.file_id)) {
        file.digests = {(*cached)->sha256_hex, (*cached)->sha1_hex, file.size};
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
  auto hashed = parallel_for(to_hash.size(), options.threads, [&](std::size_t i) -> Result<void> {
    ContentFile& file = listing.files[to_hash[i]];
    auto digests = hash_file(file.disk_path, options.progress);
    if (!digests) return std::unexpected(digests.error());
    file.digests = std::move(*digests);
    if (options.progress != nullptr) options.progress->advance(0, 1);
    return {};
  });
  if (!hashed) return std::unexpected(hashed.error());
  listing.hashed_files = to_hash.size();
  listing.hashed_bytes = bytes_to_hash;

  if (cache != nullptr && !to_hash.empty()) {
    std::vector<std::pair<std::string, state::CachedHash>> fresh;
    fresh.reserve(to_hash.size());
    for (std::size_t index : to_hash) {
      const auto& file = listing.files[index];
      fresh.emplace_back(file.path, state::CachedHash{file.size, file.mtime_ns, file.file_id, file.digests.sha256_hex,
                                                      file.digests.sha1_hex});
    }
    if (auto stored = cache->store_hashes(fresh); !stored) return std::unexpected(stored.error());
  }
  return listing;
}

}  // namespace wsa::verify
