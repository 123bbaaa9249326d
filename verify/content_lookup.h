#pragma once
// Finding a file the metadata references, by its SHA-1 and the extension the metadata gives: on disk
// (gaps, import) or in a scan's listing (export, which reads the tree once). Internal to wsa_verify.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "verify/content_store.h"
#include "verify/store_listing.h"

namespace wsa::verify {

namespace fs = boost::filesystem;

// A referenced file as a lookup found it.
struct Found {
  std::string canonical;  // its canonical path, from the name it has
  fs::path disk_path;     // where it is (the disk lookup hashes it there)
  std::uint64_t size = 0;
  bool regular = true;
  const ContentFile* scanned = nullptr;  // the scan's record, with digests (the scan lookup only)
};

// Finds content files on disk by canonical name. The exact path is tried first (one lstat); only when
// that misses is the `XX` folder listed, once, to match names whose case differs (a tree copied from
// Windows) and files whose extension the metadata does not give. With `listing` (of `root`, just made),
// a file it found is not looked at again, nor is a path it found absent. Safe to share between threads.
class DiskLookup {
 public:
  explicit DiskLookup(fs::path root, const StoreListing* listing = nullptr)
      : root_(std::move(root)), listing_(listing) {}
  // `sha1_hex` upper case; `extension` nullopt when any will do, "" for a name without one.
  std::optional<Found> find(const std::string& sha1_hex, const std::optional<std::string>& extension);

 private:
  const std::vector<std::pair<std::string, fs::path>>& folder_listing(const std::string& folder);

  fs::path root_;
  const StoreListing* listing_;
  std::mutex mutex_;
  bool root_listed_ = false;
  std::map<std::string, std::vector<fs::path>> folder_paths_;
  std::map<std::string, std::vector<std::pair<std::string, fs::path>>> listings_;
};

// Finds content files in a scan's sorted listing: a binary search, no look at the disk. The scan keeps
// only regular files with content names, so anything else reads as missing here.
class ScanLookup {
 public:
  explicit ScanLookup(const ContentListing& listing) : listing_(listing) {}
  // As DiskLookup::find; the extension is matched ignoring case.
  std::optional<Found> find(const std::string& sha1_hex, const std::optional<std::string>& extension) const;

 private:
  const ContentListing& listing_;
};

}  // namespace wsa::verify
