#pragma once
// The offline side's one look at a WsusContent folder per run, shared by every check of that run (the
// inventory check, the metadata check, the receipt's digest). Each listing reads every folder's names
// again, so a file removed since an earlier one is seen as gone; but a content file is stat'ed (once,
// relative to its open folder: platform::list_folder) only when the run does not know it yet: a file
// this run placed (verified by hash, flushed, its size known) or one an earlier listing looked at is
// taken as it was.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa::verify {

namespace fs = boost::filesystem;

// A regular file with a content name, as a listing found it.
struct ListedFile {
  std::string path;      // canonical "XX/<SHA1>.ext"
  std::string found_as;  // "xx/<sha1>.ext" as the disk spells it, when that differs from `path`; else empty
  std::uint64_t size = 0;

  const std::string& spelled() const { return found_as.empty() ? path : found_as; }
  // Where the file is under the store's root (case as found).
  fs::path disk_path(const fs::path& root) const;
};

// What a listing says of one name in one folder, both as the disk spells them.
enum class ListedAs { kUnknown, kAbsent, kRegular };
struct ListedEntry {
  ListedAs as = ListedAs::kUnknown;
  std::uint64_t size = 0;  // kRegular only
};

class StoreListing {
 public:
  explicit StoreListing(fs::path root) : root_(std::move(root)) {}

  // Files this run put under their canonical names (sorted by path, each with its size): the next
  // list() takes them as they are, unless their name is gone.
  void add_known(std::vector<ListedFile> placed);

  // Lists the store again: the same files (sorted by canonical path) and errors as list_content_store,
  // including the refusal of two names equal but for case; a content file is stat'ed only when neither
  // add_known nor an earlier list() told of it under the name it has (and a top folder only when no
  // earlier list() found it a folder).
  Result<void> list();

  const fs::path& root() const { return root_; }
  const std::vector<ListedFile>& files() const { return files_; }
  // What the last list() found at `<root>/<folder>/<name>`: kUnknown where it did not look (a folder it
  // did not list, a name that is not a content name, an entry that is not a regular file), for the
  // caller to look at itself. Safe to call from several threads.
  ListedEntry find(std::string_view folder, std::string_view name) const;

 private:
  fs::path root_;
  std::vector<ListedFile> files_;       // sorted by path
  std::vector<std::string> folders_;    // the real folders listed, sorted
  std::vector<std::string> irregular_;  // "folder/name" of content names not regular files, sorted
};

}  // namespace wsa::verify
