#pragma once
// Reads a wsusutil export package (CAB with package.xml + metadata.txt, or .xml.gz) as a stream with
// bounded memory whatever its size, and reports every update and every file it references.
// Layout: ../shared/docs/export-package.md (copied in docs/export-package-notes.md).

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

// How wsusutil packed the export: detected from the first bytes, never from the extension.
enum class PackageContainer { kCab, kGzip };

struct PackageSummary {
  PackageContainer container = PackageContainer::kGzip;
  std::string server_id;  // ExportPackage/@ServerID, lower case, no braces
  std::string creation_time;
  std::uint64_t update_count = 0;                // Update elements of package.xml / the .xml.gz document
  std::uint64_t file_count = 0;                  // package-level File elements (the package's <Files> list)
  std::uint64_t metadata_records = 0;            // metadata.txt lines (CAB form only)
  std::uint64_t uncompressed_bytes = 0;          // everything the container decompressed
  std::uint64_t updates_read = 0;                // update records handed to the visitor (both CAB sources)
  std::uint64_t files_read = 0;                  // file references and file details handed to the visitor
  std::uint64_t records_from_metadata_text = 0;  // .xml.gz records whose update XML was text or CDATA
};

struct ReaderLimits {
  std::uint64_t max_uncompressed_bytes = 64ULL << 30;  // refuses a decompression bomb
  std::size_t max_depth = 64;                          // element nesting
  std::size_t max_attribute_bytes = 64 * 1024;  // one attribute value, or one text value the reader keeps
  std::size_t max_line_bytes = 64ULL << 20;     // one metadata.txt record
  std::size_t max_update_files = 100'000;       // files one update may reference
};

// The callbacks run on the reading thread, in document order; an exception they throw ends the read
// and propagates out of read_export_package.
struct PackageVisitor {
  // Every package-level File, and every File inside an update that carries a name, size or SHA-256
  // (the update metadata's Files list; package.xml names an update's files by digest alone). May be
  // called more than once per digest, with more or fewer details: consumers merge by sha1_hex.
  std::function<void(const PackageFile&)> on_file;
  // Once per update record. The .xml.gz form gives one record per <Update> (its embedded upd:Update
  // metadata merged in). The CAB form gives the same update_id twice: once from package.xml (files,
  // classification) and once from metadata.txt (title, KB, files): consumers merge the non-empty
  // fields by update_id.
  std::function<void(const PackageUpdate&)> on_update;
};

// Streams the package, calling the visitor as records are parsed. Zero-byte, truncated, malformed or
// hostile input (DTDs/entities, too deep, too large) ends with a kWsusutil error naming the package and
// the reason (kOperational when the file cannot be read at all); the callbacks may already have run
// for earlier records. A package from which no update or no content file could be read ends with
// kUnreadablePackage: whoever asks "what is missing?" must never hear "nothing" from a reader that
// understood nothing (docs/export-package-forms.md).
Result<PackageSummary> read_export_package(const fs::path& package, const PackageVisitor& visitor,
                                           const ReaderLimits& limits = {});

// Cheap check before anything runs (KB2819484): exists, non-empty, starts with the CAB ("MSCF") or
// gzip (1f 8b) magic, and the container's end is readable (the gzip stream inflates to its end marker;
// the cabinet's size matches its header and libarchive lists package.xml and metadata.txt).
Result<void> check_export_package(const fs::path& package);

// "{0A1B...}" or "0a1b..." -> "0a1b2c3d-...": lower case, no braces; nullopt when it is not a GUID.
std::optional<std::string> normalize_update_id(std::string_view text);

}  // namespace wsa::wsus
