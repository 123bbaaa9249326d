#pragma once
// The offline side: find the packages on the media, prove them authentic and intact, check their
// order against the ledger, place content first, run wsusutil import last, and report what is missing.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "import/mirror.h"
#include "manifest/missing_file.h"
#include "verify/gap_report.h"

namespace wsa::importing {

namespace fs = boost::filesystem;

// What import does with the approvals a package carries (approvals.json), after wsusutil import.
enum class ApprovalsMode { kSkip, kPlan, kApply };

struct ImportOptions {
  std::vector<fs::path> media;
  fs::path content;  // the offline server's WsusContent
  std::vector<fs::path> trust;
  std::size_t threshold = 1;
  fs::path state;
  std::optional<fs::path> wsusutil;
  bool no_metadata_import = false;
  bool dry_run = false;
  bool new_baseline = false;  // a full package may restart a source's chain
  bool new_ledger = false;    // a missing --state may be created although --content holds content
  bool show_progress = false;
  std::chrono::seconds wsusutil_timeout{6 * 3600};
  // robocopy /MIR instead of /E: remove content the export server no longer has (import/mirror.h).
  bool mirror = false;
  bool purge = false;         // with mirror: delete instead of quarantining
  bool force_mirror = false;  // with mirror: accept an empty or suspiciously small inventory
  std::uint64_t max_delete = kDefaultMaxDelete;
  // Where to write the receipt besides the first media folder; the key that signs it.
  std::optional<fs::path> receipt_out;
  std::optional<fs::path> receipt_key;
  std::optional<fs::path> request_out;  // a content request listing the missing files
  bool no_media_receipt = false;        // write-protected media: only --receipt-out / --request-out
  ApprovalsMode approvals = ApprovalsMode::kApply;
  bool approvals_mirror = false;       // also remove offline approvals the package does not state
  std::optional<fs::path> powershell;  // runs the approval scripts (default: Windows PowerShell 5.1)
};

enum class PackageResult { kApplied, kAlreadyApplied, kWouldApply };
// "applied", "already applied", "would apply": the words the output and --json use.
const char* to_string(PackageResult result);

struct PackageOutcome {
  std::uint64_t sequence = 0;
  std::string source_id;
  std::string folder;
  std::string mode;
  PackageResult result = PackageResult::kApplied;
  std::uint64_t files_placed = 0;
  std::uint64_t bytes_placed = 0;
  std::uint64_t files_already_present = 0;
  std::uint64_t files_skipped = 0;    // placed by an interrupted run and not read again
  std::uint64_t volumes_hashed = 0;   // volumes hashed by this run
  std::uint64_t volumes_skipped = 0;  // volumes an interrupted run hashed, unchanged since
  bool metadata_imported = false;
  bool resumed = false;  // an interrupted run of this package had placed files or verified volumes
};

struct MirrorReport {
  std::string package;  // the package whose inventory the tree was mirrored to
  bool purge = false;
  bool dry_run = false;
  std::vector<std::string> removed;  // quarantined, deleted (purge), or that would be (dry run)
  std::vector<std::string> kept;     // extras the metadata still references
  std::uint64_t bytes = 0;
  std::optional<fs::path> quarantine;
  std::string note;     // why nothing was mirrored, when nothing was
  std::string refusal;  // dry run: why a real run would stop with exit 7 (empty when it would not)
};

// The approvals step: the plan made from the package's approvals.json against the offline server, and
// (apply) what of it was done.
struct ApprovalsReport {
  std::string package;                   // the folder whose approvals.json was used
  bool applying = false;                 // false: --approvals plan (nothing changed)
  std::vector<std::string> planned;      // every change, in order
  std::vector<std::string> applied;      // done (apply)
  std::vector<std::string> not_applied;  // not done because applying stopped
  std::string failure;                   // why it stopped
  std::vector<std::string> groups_created, missing_updates, eula_gaps, eula_gap_files, drift, warnings;
  std::uint64_t unchanged = 0, approvals = 0, declines = 0, groups = 0;
  std::vector<std::string> remaining;  // changes still needed after applying (read back from the server)
};

struct ImportReport {
  std::vector<PackageOutcome> packages;
  // Inventory files absent or of the wrong size after the import, then files the metadata references
  // that the inventory never listed; by path, with the update that needs each when known.
  std::vector<manifest::MissingFile> missing;
  std::vector<fs::path> incomplete;          // package folders without a manifest, ignored
  std::vector<std::string> would_place;      // dry run: carried files not yet here
  std::optional<MirrorReport> mirror;        // set with --mirror
  std::vector<fs::path> receipts;            // receipt files written
  std::optional<fs::path> request;           // content request written
  std::vector<std::string> warnings;         // what did not stop the import (a read-only medium)
  std::uint64_t interrupted_runs = 0;        // earlier runs found interrupted and closed as such
  std::optional<verify::GapReport> gaps;     // the metadata check after the last applied package
  std::optional<ApprovalsReport> approvals;  // set when a package carried approvals and they were not skipped
  bool dry_run = false;
  ExitCode exit_code = ExitCode::kSuccess;  // kGaps when files are missing
};

// Runs the whole import. Integrity, order and wsusutil failures throw AirgapError with their exit
// code (3, 4, 6); content gaps after a finished import are reported with exit_code kGaps.
ImportReport run_import(const ImportOptions& options);

}  // namespace wsa::importing
