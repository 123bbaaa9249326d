#pragma once
// Reads a wsusutil export package (CAB with package.xml + metadata.txt, or .xml.gz) as a stream with
// bounded memory whatever its size, and reports every update and every file it references.
// Layout: ../shared/docs/export-package.md (copied in docs/export-package-notes.md).

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::wsus {

namespace fs = boost::filesystem;

struct PackageFile {
  std::string sha1_hex;  // 40 upper-case hex (decoded from the base64 Digest)
  std::string name;      // original file name, e.g. "windows10.0-kb5000001-x64.msu"
  std::optional<std::uint64_t> size;
  std::optional<std::string> sha256_hex;  // 64 lower-case hex, from AdditionalDigest
};

struct PackageUpdate {
  std::string update_id;  // GUID, lower case, no braces
  std::uint32_t revision = 0;
  std::string title;       // English title when present
  std::string kb_article;  // digits only, e.g. "5000001", when present
  std::string classification;
  std::vector<std::string> file_sha1_hex;  // files this update references
};

struct PackageSummary {
  std::string server_id;
  std::string creation_time;
  std::uint64_t update_count = 0;
  std::uint64_t file_count = 0;
  std::uint64_t uncompressed_bytes = 0;
};

struct ReaderLimits {
  std::uint64_t max_uncompressed_bytes = 64ULL << 30;  // refuses a decompression bomb
  std::size_t max_depth = 64;                          // element nesting
  std::size_t max_attribute_bytes = 64 * 1024;
  std::size_t max_line_bytes = 64ULL << 20;  // one metadata.txt record
};

struct PackageVisitor {
  std::function<void(const PackageFile&)> on_file;      // may be called more than once per digest
  std::function<void(const PackageUpdate&)> on_update;  // once per update record
};

// Streams the package, calling the visitor as records are parsed. Zero-byte, truncated, malformed or
// hostile input (DTDs/entities, too deep, too large) ends with a kWsusutil error naming the package and
// the reason; the callbacks may already have run for earlier records.
Result<PackageSummary> read_export_package(const fs::path& package, const PackageVisitor& visitor,
                                           const ReaderLimits& limits = {});

// Cheap check before anything runs (KB2819484): exists, non-empty, starts with the CAB ("MSCF") or
// gzip (1f 8b) magic, and the container's end is readable.
Result<void> check_export_package(const fs::path& package);

}  // namespace wsa::wsus
