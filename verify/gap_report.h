#pragma once
// Finding "Failed to download" before WSUS does: every content file a wsusutil export package
// references is checked in WsusContent (present, right size, and optionally right digests), and
// the gaps are grouped by the updates that need them.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "manifest/missing_file.h"
#include "verify/content_store.h"
#include "verify/store_listing.h"
#include "wsus/export_package.h"

namespace wsa {
class Progress;
}
namespace wsa::state {
class Ledger;
}

namespace wsa::verify {

namespace fs = boost::filesystem;

struct UpdateGap {
  std::string update_id;
  std::uint32_t revision = 0;
  std::string title;
  std::string kb;
  std::string classification;
  std::vector<manifest::MissingFile> files;  // each naming this update
};

struct GapReport {
  std::string metadata_package;
  std::uint64_t updates_read = 0;     // distinct updates the source named (with files or not)
  std::uint64_t updates_checked = 0;  // those that need at least one content file
  std::uint64_t files_checked = 0;    // distinct files referenced
  std::uint64_t files_with_gaps = 0;  // distinct files missing or damaged
  bool hashes_verified = false;
  std::vector<UpdateGap> updates;  // only updates with gaps, sorted by title then id
  bool complete() const { return files_with_gaps == 0; }
  // Each damaged file once, with the first update (in report order) that needs it.
  std::vector<manifest::MissingFile> missing_files() const;
};

struct GapOptions {
  bool verify_hashes = false;       // read every referenced file and check SHA-1 (and SHA-256 when known)
  state::Ledger* ledger = nullptr;  // names the package that carried each missing file
  Progress* progress = nullptr;
  // A listing of the content folder just made (import): what it found is not looked at again.
  const StoreListing* listing = nullptr;
};

// What a metadata package (or a server's list of failed updates) says must exist: the distinct files
// and the updates that need them, merged by digest and by update id. Read once, checked once.
class ReferencedFiles {
 public:
  ReferencedFiles(ReferencedFiles&&) noexcept;
  ReferencedFiles& operator=(ReferencedFiles&&) noexcept;
  ~ReferencedFiles();

  // Streams the package once (see find_gaps for memory and errors).
  static Result<ReferencedFiles> read(const fs::path& metadata_package);
  // The files of `updates` and `files` (as check_updates takes them); `source` labels the report.
  static ReferencedFiles of(const std::vector<wsus::PackageUpdate>& updates,
                            const std::vector<wsus::PackageFile>& files, const std::string& source);

  // Looks for every file in the `content` folder: one stat each (a read each with verify_hashes).
  Result<GapReport> check_on_disk(const fs::path& content, const GapOptions& options) &&;
  // Looks for every file in a scan of the store instead (export: the tree is read once); with
  // verify_hashes, compares the scan's digests. Files the scan left out (not regular, not a content
  // name) read as missing. Never fails on a well-formed listing.
  Result<GapReport> check_against(const ContentListing& scanned, const GapOptions& options) &&;

 private:
  ReferencedFiles();
  struct Content;
  std::unique_ptr<Content> content_;
};

// A digest (SHA-256, hex) of every fact check_against can read from `listing`: each file's canonical
// path, the name it was found as, its size and digests, in order. Two listings with one digest give
// every package's check_against the same answer, so an export may remember a check that found all.
std::string listing_digest(const ContentListing& listing);

// Streams the metadata package once (bounded memory in its size; memory grows with the number of
// distinct referenced files and of gaps only). Errors: the reader's (kWsusutil; kUnreadablePackage when
// it read no update or no file, so a package it did not understand never reads as "no gaps") and I/O
// (kOperational).
Result<GapReport> find_gaps(const fs::path& content, const fs::path& metadata_package,
                            const GapOptions& options);

// The same check for updates listed by another source (the live WSUS server, wsus/live_server.h):
// `updates` name their files by SHA-1 in file_sha1_hex, `files` describe them (merged by sha1_hex, as
// find_gaps does). `source` labels the report's metadata_package. Errors: I/O (kOperational).
Result<GapReport> check_updates(const fs::path& content, const std::vector<wsus::PackageUpdate>& updates,
                                const std::vector<wsus::PackageFile>& files, const std::string& source,
                                const GapOptions& options);

// "Security Updates" for the well-known WSUS classification GUID, else `classification` unchanged.
std::string classification_name(const std::string& classification);

}  // namespace wsa::verify
