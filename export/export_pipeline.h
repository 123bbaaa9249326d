#pragma once
// The connected side: run wsusutil export, read the content store, choose what the offline side
// lacks, write volumes and inventory, sign, and record it in the ledger.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "verify/gap_report.h"

namespace wsa::exporting {

namespace fs = boost::filesystem;

struct ExportOptions {
  fs::path content;                  // the connected server's WsusContent
  fs::path media;                    // where the package folder is written
  std::vector<fs::path> keys;        // signing keys (one signature each)
  fs::path state;                    // export ledger
  std::optional<fs::path> wsusutil;  // run `<wsusutil> export`
  std::optional<fs::path> metadata;  // or take this existing package
  bool full = false;
  bool dry_run = false;
  bool rehash = false;
  bool skip_mismatched = false;   // ship the rest when some files do not match their names
  bool allow_empty = false;       // ship a package for an empty content store
  std::uint64_t volume_size = 0;  // 0: one volume
  std::optional<std::uint64_t> expires_in_days;
  bool show_progress = false;
  // Re-send what the offline side reports missing (a receipt from its import), besides the usual delta.
  std::optional<fs::path> receipt;
  // Public keys one of which must have signed the receipt (or a receipt given as --request); none: unchecked.
  std::vector<fs::path> receipt_trust;
  // Carry exactly the files a content request (or receipt) lists, instead of the delta.
  std::optional<fs::path> request;
  // Refuse (exit 5) when the metadata references content files the source does not have.
  bool require_complete = false;
  std::chrono::seconds wsusutil_timeout{6 * 3600};
  // Read the connected server's approvals, declines, groups and settings through the WSUS API
  // (wsus/powershell/read-approvals.ps1) into approvals.json; false: --approvals skip.
  bool read_approvals = false;
  std::optional<fs::path> powershell;  // the PowerShell to run it with (default: Windows PowerShell 5.1)
};

// The completeness check of the metadata package's files against the scanned store, for the report.
struct MetadataCheckSummary {
  std::uint64_t files_referenced = 0;
  std::uint64_t files_missing = 0;
  std::string remembered_from_utc;  // set when an earlier check of the same package and store answered
};

// What the approvals file of a package holds, for the report.
struct ApprovalsSummary {
  std::uint64_t groups = 0;
  std::uint64_t approvals = 0;
  std::uint64_t declined = 0;
  std::uint64_t updates = 0;  // approved or declined
  std::string wsus_version;
};

struct ExportReport {
  std::uint64_t sequence = 0;
  fs::path package_dir;
  std::string mode;  // "full" or "incremental"
  std::string manifest_sha256;
  std::vector<std::string> key_ids;
  std::uint64_t files_total = 0;
  std::uint64_t bytes_total = 0;
  std::uint64_t files_carried = 0;
  std::uint64_t bytes_carried = 0;
  std::uint64_t files_hashed = 0;
  std::uint64_t files_from_cache = 0;
  std::vector<std::string> volumes;
  std::string metadata_name;
  std::uint64_t metadata_bytes = 0;
  std::vector<std::string> mismatched;  // content files whose bytes do not match their SHA-1 name
  std::vector<std::string> warnings;
  std::vector<std::string> requested_missing;  // asked for by --receipt/--request, absent from the source
  std::uint64_t files_resent = 0;              // carried only because --receipt/--request asked for them
  std::optional<MetadataCheckSummary> metadata_check;  // none when no metadata package was checked
  std::vector<verify::UpdateGap> source_gaps;  // updates whose files the metadata names but the source lacks
  std::vector<std::uint64_t> interrupted;      // sequences of earlier runs found killed, now recorded so
  std::vector<std::uint64_t> finished;  // recorded packages a killed run left unnamed, named by this run
  std::optional<ApprovalsSummary> approvals;  // set when approvals.json was written (or would be)
  std::string receipt_approvals;              // what the --receipt says became of the approvals offline
  bool dry_run = false;
};

// The largest volume file for `--volume-size` (0: one volume): "4G" becomes 4 GiB - 1 byte, the
// largest file FAT32 media can hold.
std::uint64_t volume_limit(std::uint64_t requested);

// Runs the whole export. Throws AirgapError with the documented exit code; leaves no package folder
// behind on failure (only a `.partial` folder when the process is killed, which verify ignores). A
// package is recorded in the ledger before its folder is renamed; a `.partial` folder holding a recorded
// package (killed between the two) is renamed by the next run rather than made again.
ExportReport run_export(const ExportOptions& options);

}  // namespace wsa::exporting
