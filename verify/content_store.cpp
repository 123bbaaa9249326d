#include "verify/content_store.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <mutex>
#include <thread>

#include "common/encoding.h"
#include "common/platform.h"
#include "common/progress.h"
#include "common/text.h"
#include "state/ledger.h"
#include "wsus/content_name.h"

namespace wsa::verify {

namespace {

// How often freshly computed hashes are written to the ledger's cache during a scan: each write is one
// transaction, so batches keep the cost per file small while bounding what an interrupted scan loses.
constexpr std::size_t kCacheBatchFiles = 1000;
constexpr std::chrono::seconds kCacheBatchInterval{2};

// One `XX` folder's share of the walk, kept apart so threads never share a vector.
struct FolderScan {
  std::vector<ContentFile> files;  // sorted by canonical path
  std::vector<fs::path> foreign;
  std::uint64_t cached = 0;  // files the hash cache vouched for
};

// The quick check, against the cache's rows for one folder read in path order beside the folder's
// sorted files: one pass, no copy of the cache in memory. Same size and time (and file id where both
// know it) means same bytes.
Result<void> apply_cache(state::Ledger& cache, const std::string& folder, FolderScan& scan) {
  auto& files = scan.files;
  std::size_t next = 0;
  return cache.each_cached_hash(
      [&](const std::string& path, const state::CachedHash& hash) {
        while (next < files.size() && files[next].path < path) ++next;
        if (next == files.size() || files[next].path != path) return;
        ContentFile& file = files[next];
        if (hash.size != file.size || hash.mtime_ns != file.mtime_ns ||
            (hash.file_id && file.file_id && *hash.file_id != *file.file_id)) {
          return;
        }
        // A row whose digests do not decode is not believed: the file is hashed again.
        if (!from_hex_into(hash.sha256_hex, file.sha256) || !from_hex_into(hash.sha1_hex, file.sha1)) return;
        file.from_cache = true;
        ++scan.cached;
      },
      to_upper_ascii(folder) + "/");  // canonical paths name their folder in upper case
}

// A re-scan of an unchanged tree is nothing but this: one listing per folder and one stat per content
// file, relative to the open folder (platform::list_folder), then that folder's rows of the hash cache
// (while another thread lists the next folder: the ledger serves one thread at a time).
Result<FolderScan> scan_folder(const fs::path& root, const std::string& folder, state::Ledger* cache) {
  FolderScan scan;
  const fs::path folder_path = root / folder;
  auto is_content_name = [&folder](std::string_view name) {
    return wsus::parse_content_path(folder + "/" + std::string(name)).has_value();
  };
  auto entries = platform::list_folder(folder_path, is_content_name);
  if (!entries) return std::unexpected(entries.error());
  scan.files.reserve(entries->size());
  for (auto& entry : *entries) {
    std::string relative = folder + "/" + entry.name;
    auto name = entry.facts && entry.facts->regular ? wsus::parse_content_path(relative) : std::nullopt;
    if (!name) {
      scan.foreign.push_back(folder_path / entry.name);
      continue;
    }
    ContentFile file;
    file.path = name->relative_path();
    if (relative != file.path) file.found_as = std::move(relative);
    file.size = entry.facts->size;
    file.mtime_ns = entry.facts->mtime_ns.value_or(0);
    file.file_id = entry.facts->file_id;
    scan.files.push_back(std::move(file));
  }
  std::sort(scan.files.begin(), scan.files.end(),
            [](const ContentFile& a, const ContentFile& b) { return a.path < b.path; });
  if (cache != nullptr) {
    if (auto applied = apply_cache(*cache, folder, scan); !applied) return std::unexpected(applied.error());
  }
  return scan;
}

// WsusContent is flat: two-character folders holding the files. Anything else is not WSUS content
// and is reported rather than carried. The folders are listed on `threads` threads and joined in
// name order, so the result does not depend on the number of threads or on the listing order. With a
// cache, files it vouches for carry their digests and `cached` counts them.
Result<std::vector<ContentFile>> walk(const fs::path& root, std::vector<fs::path>* foreign, unsigned threads,
                                      state::Ledger* cache = nullptr, std::uint64_t* cached = nullptr) {
  boost::system::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(ExitCode::kOperational, root.string(), "is not a folder (or cannot be read)",
                      "give the WsusContent folder with --content");
  }
  auto top = platform::list_folder(root, nullptr);
  if (!top) return std::unexpected(top.error());
  std::vector<std::string> folders;
  std::vector<fs::path> foreign_top;
  for (auto& entry : *top) {
    if (entry.facts && entry.facts->folder)
      folders.push_back(std::move(entry.name));
    else
      foreign_top.push_back(root / entry.name);
  }
  sort_store_folders(folders);
  std::sort(foreign_top.begin(), foreign_top.end());

  std::vector<FolderScan> scans(folders.size());
  auto listed = parallel_for(folders.size(), threads, [&](std::size_t i) -> Result<void> {
    auto scan = scan_folder(root, folders[i], cache);
    if (!scan) return std::unexpected(scan.error());
    scans[i] = std::move(*scan);
    return {};
  });
  if (!listed) return std::unexpected(listed.error());

  std::size_t total = 0;
  for (const auto& scan : scans) {
    total += scan.files.size();
    if (cached != nullptr) *cached += scan.cached;
  }
  std::vector<ContentFile> found;
  found.reserve(total);
  if (foreign != nullptr) *foreign = std::move(foreign_top);
  for (auto& scan : scans) {
    std::move(scan.files.begin(), scan.files.end(), std::back_inserter(found));
    if (foreign != nullptr) std::move(scan.foreign.begin(), scan.foreign.end(), std::back_inserter(*foreign));
    scan = {};  // frees the folder's share as soon as it is copied: the peak stays near one listing
  }
  if (auto sorted = sort_refusing_case_twins(found, root); !sorted) return std::unexpected(sorted.error());
  return found;
}

}  // namespace

void sort_store_folders(std::vector<std::string>& folders) {
  std::sort(folders.begin(), folders.end(), [](const std::string& a, const std::string& b) {
    return std::pair(to_upper_ascii(a), a) < std::pair(to_upper_ascii(b), b);
  });
}

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
  auto found = walk(root, foreign, 0);
  if (!found) return std::unexpected(found.error());
  std::vector<ContentPresence> presences;
  presences.reserve(found->size());
  for (auto& file : *found) {
    fs::path disk_path = file.disk_path(root);
    presences.push_back({std::move(file.path), std::move(disk_path), file.size});
  }
  return presences;
}

fs::path ContentFile::disk_path(const fs::path& root) const {
  const std::string& relative = found_as.empty() ? path : found_as;
  return root / relative.substr(0, 2) / relative.substr(3);
}

std::string ContentFile::sha256_hex() const {
  return to_hex_lower(byte_view(sha256));
}

std::string ContentFile::sha1_hex() const {
  return to_hex_upper(byte_view(sha1));
}

bool ContentFile::name_matches() const {
  Sha1Bytes named{};
  return from_hex_into(std::string_view(path).substr(3, 40), named) && named == sha1;
}

Result<ContentListing> scan_content_store(const fs::path& root, state::Ledger* cache,
                                          const ScanOptions& options) {
  ContentListing listing;
  listing.root = root;
  auto found = walk(root, &listing.foreign_files, options.threads, options.rehash ? nullptr : cache,
                    &listing.cached_files);
  if (!found) return std::unexpected(found.error());
  listing.files = std::move(*found);
  for (const auto& file : listing.files) listing.total_bytes += file.size;
  std::vector<std::size_t> to_hash;
  std::uint64_t bytes_to_hash = 0;
  for (std::size_t i = 0; i < listing.files.size(); ++i) {
    if (listing.files[i].from_cache) continue;
    to_hash.push_back(i);
    bytes_to_hash += listing.files[i].size;
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
    auto digests = hash_file(listing.disk_path(file), options.progress);
    if (!digests) return std::unexpected(digests.error());
    if (!from_hex_into(digests->sha256_hex, file.sha256) || !from_hex_into(digests->sha1_hex, file.sha1)) {
      return make_error(ExitCode::kOperational, listing.disk_path(file).string(), "hashing gave no digest");
    }
    if (options.progress != nullptr) options.progress->advance(0, 1);
    if (cache == nullptr) return {};
    std::lock_guard lock(cache_mutex);
    pending.emplace_back(
        file.path, state::CachedHash{file.size, file.mtime_ns, file.file_id, std::move(digests->sha256_hex),
                                     std::move(digests->sha1_hex)});
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
