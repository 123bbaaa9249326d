// Step 4 of the export: every file the metadata package references must be in the store the scan read,
// or WSUS offline shows "Failed to download". The package is parsed on its own thread while the store
// is listed; a check that found everything is remembered in the ledger by the package's SHA-256 and the
// listing's digest, so an unchanged re-export with the same package does not parse it again.
#include <boost/filesystem/operations.hpp>

#include "common/digest.h"
#include "export/export_run.h"
#include "verify/gap_report.h"

namespace wsa::exporting {

namespace {

// The classic cause of "Failed to download" starts here: a server that downloads files only after
// approval exports metadata for updates whose files it never fetched. Say so per update, before
// anything is written, so the admin can approve and wait instead of carrying a package with holes.
void report_source_gaps(ExportRun& run, const verify::GapReport& gaps) {
  for (const auto& update : gaps.updates) {
    std::string name = update.kb.empty() ? update.title : "KB" + update.kb + " " + update.title;
    run.report.warnings.push_back(
        name + " (" + update.update_id + "): " + std::to_string(update.files.size()) +
        " file(s) the metadata references are not in " + run.options.content.string() +
        "; approve the update on this server and let WSUS download them");
  }
  run.report.metadata_check = MetadataCheckSummary{gaps.files_checked, gaps.files_with_gaps, {}};
  run.report.source_gaps = gaps.updates;
  if (!run.report.source_gaps.empty() && run.options.require_complete) {
    fail(ExitCode::kGaps, run.options.content.string(),
         "lacks " + std::to_string(gaps.files_with_gaps) + " content file(s) that " +
             std::to_string(run.report.source_gaps.size()) + " update(s) in the metadata need",
         "approve those updates and wait for WSUS to download their files, or export without "
         "--require-complete");
  }
}

}  // namespace

MetadataCheck::MetadataCheck(ExportRun& run, const std::optional<manifest::PinnedFile>& pinned) : run_(run) {
  if (pinned) {
    package_ = run.partial_dir / pinned->name;
    package_sha256_ = pinned->sha256_hex;
  } else if (run.options.metadata) {
    package_ = *run.options.metadata;  // a dry run reads the admin's file where it is
    package_sha256_ = value_or_throw(sha256_file(package_));
  } else {
    return;  // a dry run with --wsusutil: no package is made, so none is checked
  }
  checked_before_ = value_or_throw(run.ledger.knows_metadata_package(package_sha256_));
  // Parsing is CPU work and the scan is file-system work: side by side, unless a check of these very
  // bytes may make the parse unnecessary (decided once the scan's listing is known).
  if (!checked_before_) {
    parsed_ =
        std::async(std::launch::async, [path = package_] { return verify::ReferencedFiles::read(path); });
  }
}

void MetadataCheck::finish(const verify::ContentListing& listing) {
  if (package_.empty()) return;
  const std::string listing_sha256 = verify::listing_digest(listing);
  if (checked_before_) {
    auto remembered = value_or_throw(run_.ledger.find_metadata_check(package_sha256_, listing_sha256));
    if (remembered) {
      run_.report.metadata_check =
          MetadataCheckSummary{remembered->files_checked, 0, remembered->checked_utc};
      return;
    }
  }
  auto referenced = parsed_.valid() ? parsed_.get() : verify::ReferencedFiles::read(package_);
  auto gaps = value_or_throw(value_or_throw(std::move(referenced)).check_against(listing, {}));
  report_source_gaps(run_, gaps);
  if (!gaps.complete()) return;  // gaps are looked at again each run: the admin is fixing them
  // Remembered only for the bytes that were parsed: a package changed while it was read is not.
  if (value_or_throw(sha256_file(package_)) != package_sha256_) return;
  value_or_throw(run_.ledger.record_metadata_check(
      {package_sha256_, listing_sha256, gaps.updates_read, gaps.updates_checked, gaps.files_checked, {}}));
}

}  // namespace wsa::exporting
