#pragma once
// Reading a WsusContent folder: every `XX/<SHA1>.ext` file with its size, time and digests, each file
// looked at once (one stat relative to its open folder; none on Windows, where the listing carries
// them), the `XX` folders listed on every core. Hashing is skipped for files whose size and
// modification time match the ledger's cache (rsync's quick check) and runs on every core for the rest.

#include <boost/filesystem/path.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/error.h"

namespace wsa {
class Progress;
}
namespace wsa::state {
class Ledger;
}

namespace wsa::verify {

namespace fs = boost::filesystem;

// One file of the store, kept compact (about 200 bytes): a 100,000-file store is held whole.
struct ContentFile {
  std::string path;      // canonical "XX/<SHA1>.ext"
  std::string found_as;  // "xx/<sha1>.ext" as the disk spells it, when that differs from `path`; else empty
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::optional<std::uint64_t> file_id;
  Sha256Bytes sha256{};  // of the bytes (read by this scan, or vouched for by the cache)
  Sha1Bytes sha1{};
  bool from_cache = false;

  // Where the file really is under the store's root (case as found).
  fs::path disk_path(const fs::path& root) const;
  std::string sha256_hex() const;  // 64 lower-case hex
  std::string sha1_hex() const;    // 40 upper-case hex
  // The bytes' SHA-1 equals the name's: the file is what its name says.
  bool name_matches() const;
};

struct ContentListing {
  fs::path root;                        // the folder scanned
  std::vector<ContentFile> files;       // sorted by canonical path, unique
  std::vector<fs::path> foreign_files;  // not content names, or not regular files (left out, reported)
  std::uint64_t total_bytes = 0;
  std::uint64_t hashed_files = 0;
  std::uint64_t hashed_bytes = 0;
  std::uint64_t cached_files = 0;

  fs::path disk_path(const ContentFile& file) const { return file.disk_path(root); }
};

struct ScanOptions {
  bool rehash = false;   // ignore the cache and read every byte
  unsigned threads = 0;  // listing and hashing threads; 0: one per core
  Progress* progress = nullptr;
};

// Lists, and hashes what the cache cannot vouch for. With a ledger, reads its hash cache folder by
// folder in path order beside each sorted folder listing, on the listing threads (never loaded whole),
// and stores what it hashed. The listing is the same
// whatever the number of threads. A missing or unreadable folder is an error naming it.
Result<ContentListing> scan_content_store(const fs::path& root, state::Ledger* cache,
                                          const ScanOptions& options);

// Walks only names and sizes (no hashing), for the offline side's checks.
struct ContentPresence {
  std::string path;
  fs::path disk_path;
  std::uint64_t size = 0;
};
Result<std::vector<ContentPresence>> list_content_store(const fs::path& root, std::vector<fs::path>* foreign);

// The order every walk of a store joins its `XX` folders in: upper case first, so "ab" and "AB" (one
// canonical folder on a case-sensitive disk) sit together.
void sort_store_folders(std::vector<std::string>& folders);

// Sorts `files` (anything with a canonical `path` and `disk_path(root)`) by canonical path, a no-op for
// folders joined in store order unless two differ only in case, and refuses two files with one
// canonical name ("ab/X" and "AB/X" on a case-sensitive file system): WSUS on Windows sees only one.
template <class File>
Result<void> sort_refusing_case_twins(std::vector<File>& files, const fs::path& root) {
  auto by_path = [](const File& a, const File& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) std::sort(files.begin(), files.end(), by_path);
  auto twin = std::adjacent_find(files.begin(), files.end(),
                                 [](const File& a, const File& b) { return a.path == b.path; });
  if (twin == files.end()) return {};
  return make_error(ExitCode::kOperational, twin->disk_path(root).string(),
                    "has the same name, ignoring case, as " + std::next(twin)->disk_path(root).string(),
                    "keep one of them: WSUS on Windows sees only one");
}

// Runs `work(i)` for i in [0, count) on `threads` threads (0: one per core); stops at the first error.
Result<void> parallel_for(std::size_t count, unsigned threads,
                          const std::function<Result<void>(std::size_t)>& work);

}  // namespace wsa::verify
