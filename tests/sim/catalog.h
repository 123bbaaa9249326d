#pragma once
// The simulator's stand-in for the WSUS database: which updates exist and which content files each needs.
//
// On-disk form (JSON, UTF-8). `wsusutil-sim generate` writes it; tests may also write it by hand:
//
//   {
//     "format": "wsusutil-sim-catalog",          // optional on input
//     "version": 1,                              // optional on input; anything else is refused
//     "server_id": "5b0c9a9e-3d0e-4c36-9a55-1f0c2a7e4d11",   // GUID, lower case, no braces
//     "creation_time": "2026-11-20T08:00:00Z",
//     "updates": [
//       {
//         "update_id": "8f0e6a3c-...-lower-case-guid",
//         "revision": 201,
//         "title": "2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5044123)",
//         "kb": "5044123",                        // digits, may be "" (optional on input)
//         "classification": "Security Updates",   // name (optional on input)
//         "classification_id": "0fa1201d-4330-4fa8-8ae9-b877473b6441",  // GUID; derived from a
//                                                 // well-known name when omitted
//         "product": "Windows 11",                // optional
//         "product_id": "<guid>",                 // optional; made-up stable GUIDs, not Microsoft's
//         "files": [
//           { "name": "windows11.0-kb5044123-x64.msu", "size": 123456,
//             "sha1": "<40 upper-case hex>", "sha256": "<64 lower-case hex>" }
//         ]
//       }
//     ]
//   }
//
// A file shared by several updates appears under each of them with the same digests. The content file
// for an entry lives at `WsusContent/<XX>/<SHA1>.<ext of name>` (see wsus/content_name.h).

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

// One content file as the update metadata describes it.
struct CatalogFile {
  std::string name;  // original file name, e.g. "windows11.0-kb5044123-x64.msu"
  std::uint64_t size = 0;
  std::string sha1;    // 40 upper-case hex
  std::string sha256;  // 64 lower-case hex

  // "XX/<SHA1>.<ext>", where the file lives under WsusContent.
  std::string content_path() const;
};

struct CatalogUpdate {
  std::string update_id;  // GUID, lower case, no braces
  std::uint32_t revision = 0;
  std::string title;
  std::string kb;  // digits only, may be empty
  std::string classification;
  std::string classification_id;  // GUID
  std::string product;
  std::string product_id;  // GUID, may be empty
  std::vector<CatalogFile> files;
};

struct Catalog {
  std::string server_id;
  std::string creation_time;  // "yyyy-MM-ddTHH:mm:ssZ"
  std::vector<CatalogUpdate> updates;

  // Every distinct file (by SHA-1) in first-seen order: the `<Files>` list of an export.
  std::vector<CatalogFile> distinct_files() const;
};

// The catalog format version this simulator reads and writes.
inline constexpr int kCatalogVersion = 1;

// Reads and validates a catalog; the error names the file and the offending entry.
Result<Catalog> load_catalog(const fs::path& path);

// The catalog as indented JSON, keys in a fixed order (same catalog, same bytes).
std::string catalog_to_json(const Catalog& catalog);

// The GUID WSUS uses for a well-known classification name ("Security Updates"), or "" when unknown.
std::string classification_id_for(const std::string& classification);

}  // namespace wsa::sim
