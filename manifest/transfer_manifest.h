#pragma once
// The transfer manifest: the signed entry point of a package (docs/format.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa {
class JsonObjectReader;
}

namespace wsa::manifest {

// Bumped on any incompatible change; readers refuse both older and newer versions.
inline constexpr int kManifestFormatVersion = 2;  // 2: the approvals field
// Manifests and signature files larger than this are refused unread (exit 3).
inline constexpr std::uint64_t kMaxManifestBytes = 4 * 1024 * 1024;
// At most this many content volumes in one package.
inline constexpr std::size_t kMaxVolumes = 100000;
// No pinned or inventoried file may claim more bytes than this (1 PiB): a hostile size is refused early.
inline constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 50;

// The fixed names inside a package folder (docs/format.md).
inline constexpr const char* kManifestFileName = "manifest.json";
inline constexpr const char* kSignaturesFileName = "signatures.json";
inline constexpr const char* kInventoryFileName = "inventory.tsv";
inline constexpr const char* kApprovalsFileName = "approvals.json";

enum class PackageMode { kFull, kIncremental };
const char* to_string(PackageMode mode);

// A file of the package pinned by size and SHA-256.
struct PinnedFile {
  // Plain file name inside the package folder: [A-Za-z0-9._-]{1,128}, no "..", no separators.
  std::string name;
  std::uint64_t size = 0;
  std::string sha256_hex;  // 64 lower-case hex

  bool operator==(const PinnedFile&) const = default;
};

struct InventorySummary {
  PinnedFile file;               // e.g. "inventory.tsv"
  std::uint64_t file_count = 0;  // every file of the source WsusContent
  std::uint64_t total_bytes = 0;
  std::uint64_t carried_count = 0;  // files this package carries in its volumes
  std::uint64_t carried_bytes = 0;

  bool operator==(const InventorySummary&) const = default;
};

struct TransferManifest {
  int format_version = kManifestFormatVersion;
  std::string source_id;                 // UUID of the export ledger: identifies the connected server's chain
  std::string source_host;               // informational
  std::uint64_t sequence = 0;            // 1, 2, 3 ... per source
  std::string previous_manifest_sha256;  // empty for sequence 1 or a new full baseline
  std::string created_utc;               // "2026-11-25T08:00:00Z"
  std::optional<std::string> expires_utc;
  PackageMode mode = PackageMode::kFull;
  std::optional<PinnedFile> metadata;  // the wsusutil export package (.xml.gz or .cab)
  std::vector<PinnedFile> volumes;     // content.tar.000, content.tar.001, ... in order
  InventorySummary inventory;
  std::optional<PinnedFile>
      approvals;  // approvals.json (manifest/approvals_file.h); null with --approvals skip
  std::string tool_version;

  bool operator==(const TransferManifest&) const = default;
};

// True for a plain file name a manifest may pin: [A-Za-z0-9._-]{1,128}, not starting with '.'.
bool is_package_file_name(std::string_view name);
// The name of the volume at `index` (0-based): "content.tar.000", ..., "content.tar.999", "content.tar.1000".
std::string volume_file_name(std::size_t index);

// Deterministic JSON (sorted keys, no insignificant whitespace variance) followed by "\n".
std::string serialize_manifest(const TransferManifest& manifest);

// Strict parse: refuses unknown format versions (older and newer, each with its own message), missing
// or mistyped fields, bad hex, unsafe or repeated file names, volumes not named volume_file_name(0, 1, ...)
// in order, sequence 0, more than 100000 volumes, inconsistent counts, expiry not after creation. Errors use
// ExitCode::kIntegrity and name `where` (the manifest's path).
Result<TransferManifest> parse_manifest(std::string_view json, const std::string& where);

// The package folder name for a sequence: "wsus-airgap-000042".
std::string package_folder_name(std::uint64_t sequence);
// Parses such a folder name; nullopt for anything else.
std::optional<std::uint64_t> parse_package_folder_name(std::string_view name);

// UTC now as "YYYY-MM-DDTHH:MM:SSZ", and the reverse (nullopt when malformed).
std::string utc_now();
std::optional<std::int64_t> parse_utc(std::string_view text);  // seconds since the epoch
// Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (years 0000-9999; clamped outside them).
std::string format_utc(std::int64_t seconds);
// The field `name` of a JSON file that crosses the gap, which must be such a time; throws JsonRefusal
// naming the field otherwise (common/strict_json.h).
std::string read_utc_field(const JsonObjectReader& reader, std::string_view name);

// Refuses (kIntegrity, naming `where`) a top-level format_version other than `supported`; read before
// any other field, since a newer file may hold fields this reader does not know and the useful message
// is then "upgrade". `what` names the format in the older message ("receipt format version 0 is
// older..."), `what_in_newer` in the newer one ("(receipt format 2)"; the manifest's says "(format 2)").
Result<void> check_format_version(const JsonObjectReader& top, int supported, std::string_view what,
                                  std::string_view what_in_newer, const std::string& where,
                                  const char* older_hint);

}  // namespace wsa::manifest
