#pragma once
// What travels back across the gap: a receipt (what the offline server applied and what it still
// lacks) and a content request (exactly which files to send). Formats: docs/format.md.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manifest/keys.h"
#include "manifest/missing_file.h"
#include "manifest/trust.h"

namespace wsa::manifest {

namespace fs = boost::filesystem;

inline constexpr int kReceiptFormatVersion = 2;  // 2: the approvals summary
inline constexpr int kRequestFormatVersion = 1;
// Receipts and requests larger than this are refused unread (exit 3), and never written: the writer
// refuses ("too large", exit 1) a file its reader would refuse.
inline constexpr std::uint64_t kMaxReceiptBytes = 512ULL * 1024 * 1024;
// Files one receipt (`missing`) or content request (`files`) may list, read and written alike. A
// typical entry takes about 250 bytes, so this many fit in kMaxReceiptBytes with room to spare.
inline constexpr std::size_t kMaxRequestedFiles = 1'000'000;

// What the import did with the package's approvals (the last approval set the offline ledger recorded).
struct ReceiptApprovals {
  std::uint64_t sequence = 0;  // the package whose approvals.json it was
  std::string result;          // "applied", "partly applied", "nothing to change", "planned"
  std::uint64_t applied = 0, not_applied = 0, unchanged = 0, drift = 0, eula_gaps = 0, missing_updates = 0;
  bool operator==(const ReceiptApprovals&) const = default;
};

struct Receipt {
  int format_version = kReceiptFormatVersion;
  std::string offline_ledger_id;  // the import ledger's id
  std::string offline_host;
  std::string created_utc;
  std::string source_id;                // the export chain this receipt answers
  std::uint64_t applied_sequence = 0;   // last sequence applied from source_id (0: none)
  std::string applied_manifest_sha256;  // its manifest hash (empty when none)
  std::vector<std::uint64_t> applied_this_run;
  std::string content_digest;  // SHA-256 over the offline WsusContent listing ("path\tsize\n" sorted)
  std::uint64_t content_files = 0;
  std::uint64_t content_bytes = 0;
  std::vector<MissingFile> missing;           // still missing or damaged after the import
  std::optional<ReceiptApprovals> approvals;  // null when the import did nothing with approvals
};

// A receipt on disk: {"format_version":1,"kind":"wsus-airgap receipt","body":"<exact receipt JSON>",
// "signatures":[...]}; signatures are Ed25519 over the exact body bytes (may be empty: unsigned).
// Informative fields are cut to what the reader accepts; more than kMaxRequestedFiles files or more
// than kMaxReceiptBytes throw AirgapError (kOperational, "is too large: ...").
std::string serialize_receipt(const Receipt& receipt, const std::vector<const SigningKey*>& keys);
// Strict parse, bounded; when `trust` has keys, at least one valid trusted signature is required
// (exit 3 otherwise). Errors name `where`.
Result<Receipt> parse_receipt(std::string_view bytes, const std::string& where, const TrustStore* trust);

// A content request: the files an offline server asks for, made by `gaps`/`import --request-out`
// and turned into a package by `export --request`.
struct ContentRequest {
  int format_version = kRequestFormatVersion;
  std::string created_utc;
  std::string offline_host;
  std::string source_id;  // may be empty when the requester does not know the source
  std::vector<MissingFile> files;
};

// The one builder of a content request: `files` each path once, its first entry kept (the export side
// carries files, and a path listed twice would only make it ask which entry to believe), from this host.
ContentRequest make_content_request(const std::vector<MissingFile>& files, std::string source_id,
                                    std::string created_utc);

// One file per line; the same limits as serialize_receipt (AirgapError naming "the content request").
std::string serialize_request(const ContentRequest& request);
// Serializes and writes atomically; a request too large is an error naming `target`, size and limit.
Result<void> write_request(const fs::path& target, const ContentRequest& request);
Result<ContentRequest> parse_request(std::string_view bytes, const std::string& where);

// Reads either a receipt or a request file and returns its requested files (a receipt's `missing`).
Result<std::vector<MissingFile>> read_requested_files(const fs::path& file, const TrustStore* trust);

}  // namespace wsa::manifest
