#pragma once
// Reading a WsusContent folder: every `XX/<SHA1>.ext` file with its size, time and digests. Hashing
// is skipped for files whose size and modification time match the ledger's cache (rsync's quick
// check) and runs on every core for the rest.

#include <boost/filesystem/path.hpp>

#include <cstdint>
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

struct ContentFile {
  std::string path;    // canonical "XX/<SHA1>.ext"
  fs::path disk_path;  // where it really is (case as found)
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::optional<std::uint64_t> file_id;
  Digests digests;
  bool from_cache = false;
  // The bytes' SHA-1 equals the name's: the file is what its name says.
  bool name_matches() const { return digests.sha1_hex == path.substr(3, 40); }
};

struct ContentListing {
  std::vector<ContentFile> files;       // sorted by canonical path, unique
  std::vector<fs::path> foreign_files;  // not content names (left out, reported)
  std::uint64_t total_bytes = 0;
  std::uint64_t hashed_files = 0;
  std::uint64_t hashed_bytes = 0;
  std::uint64_t cached_files = 0;
};

struct ScanOptions {
  bool rehash = false;   // ignore the cache and read every byte
  unsigned threads = 0;  // 0: one per core
  Progress* progress = nullptr;
};

// Lists, and hashes what the cache cannot vouch for. With a ledger, reads and refreshes its hash
// cache. A missing or unreadable folder is an error naming it.
Result<ContentListing> scan_content_store(const fs::path& root, state::Ledger* cache,
                                          const ScanOptions& options);

// Walks only names (no hashing): canonical path -> size, for the offline side's checks.
struct ContentPresence {
  std::string path;
  fs::path disk_path;
  std::uint64_t size = 0;
};
Result<std::vector<ContentPresence>> list_content_store(const fs::path& root, std::vector<fs::path>* foreign);

// Runs `work(i)` for i in [0, count) on `threads` threads (0: one per core); stops at the first error.
Result<void> parallel_for(std::size_t count, unsigned threads,
                          const std::function<Result<void>(std::size_t)>& work);

}  // namespace wsa::verify
