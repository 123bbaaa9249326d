#include "import/import_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <ctime>
#include <map>

#include "common/platform.h"
#include "common/progress.h"
#include "import/content_placer.h"
#include "manifest/inventory.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/content_store.h"
#include "verify/package_check.h"
#include "verify/sequence_chain.h"
#include "wsus/wsusutil.h"

namespace wsa::importing {

namespace {

struct PendingPackage {
  verify::FoundPackage found;
  verify::VerifiedPackage verified;  // signatures and sizes first, hashes before anything moves
  verify::OrderVerdict verdict = verify::OrderVerdict::kApply;
};

std::optional<verify::AppliedTip> tip_of(state::Ledger& ledger, const std::string& source_id) {
  auto last = value_or_throw(ledger.last_applied_import(source_id));
  if (!last) return std::nullopt;
  return verify::AppliedTip{last->sequence, last->manifest_sha256};
}

// Authentic first, then ordered: the order rules read the manifest, which is believed only once signed.
std::vector<PendingPackage> select_in_order(const ImportOptions& options, state::Ledger& ledger,
                                            const manifest::TrustStore& trust,
                                            const std::vector<verify::FoundPackage>& found) {
  verify::VerifyOptions cheap;
  cheap.threshold = options.threshold;
  cheap.check_hashes = false;
  std::map<std::string, std::vector<PendingPackage>> by_source;
  for (const auto& package : found) {
    auto verified = value_or_throw(verify::verify_package(package, options.media, trust, cheap));
    std::string source = verified.manifest.source_id;
    by_source[source].push_back({package, std::move(verified), verify::OrderVerdict::kApply});
  }
  verify::OrderOptions order;
  order.allow_new_baseline = options.new_baseline;
  order.now_utc = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<PendingPackage> selected;
  for (auto& [source, packages] : by_source) {
    auto tip = tip_of(ledger, source);
    // Packages behind the tip are history left on the media and are passed over, unless nothing
    // newer is there: then the media is a replay and is refused as one.
    if (tip && packages.back().verified.manifest.sequence < tip->sequence) {
      const auto& newest = packages.back().verified;
      value_or_throw(verify::check_order(newest.manifest, newest.manifest_sha256, tip, order));
    }
    for (auto& package : packages) {
      if (tip && package.verified.manifest.sequence < tip->sequence) continue;
      package.verdict = value_or_throw(
          verify::check_order(package.verified.manifest, package.verified.manifest_sha256, tip, order));
      if (package.verdict == verify::OrderVerdict::kApply) {
        tip = verify::AppliedTip{package.verified.manifest.sequence, package.verified.manifest_sha256};
      }
      selected.push_back(std::move(package));
    }
  }
  return selected;
}

// Every inventory file must be on disk with its size once content is placed; what is not becomes a
// gap the offline server's console would later show as "Failed to download".
std::vector<std::string> find_missing(const verify::VerifiedPackage& package, const fs::path& content) {
  auto present = value_or_throw(verify::list_content_store(content, nullptr));
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<std::string> missing;
  auto disk = present.begin();
  while (true) {
    auto entry = value_or_throw(inventory.next());
    if (!entry) break;
    while (disk != present.end() && disk->path < entry->path) ++disk;
    if (disk == present.end() || disk->path != entry->path || disk->size != entry->size) missing.push_back(entry->path);
  }
  return missing;
}

fs::path log_folder(const ImportOptions& options) {
  fs::path folder = options.state.parent_path() / "logs";
  boost::system::error_code ec;
  fs::create_directories(folder, ec);
  return folder;
}

PackageOutcome outcome_of(const PendingPackage& package, std::string result) {
  PackageOutcome outcome;
  outcome.sequence = package.verified.manifest.sequence;
  outcome.source_id = package.verified.manifest.source_id;
  outcome.folder = package.found.folder_name;
  outcome.mode = manifest::to_string(package.verified.manifest.mode);
  outcome.result = std::move(result);
  return outcome;
}

PackageOutcome apply_package(const ImportOptions& options, state::Ledger& ledger, const PendingPackage& package,
                             ImportReport& report) {
  const auto& m = package.verified.manifest;
  PackageOutcome outcome = outcome_of(package, "applied");

  state::RunRecord record;
  record.kind = state::RunKind::kImport;
  record.source_id = m.source_id;
  record.sequence = m.sequence;
  record.manifest_sha256 = package.verified.manifest_sha256;
  record.mode = outcome.mode;
  record.package_dir = package.found.dir.string();
  auto run_id = value_or_throw(ledger.begin_run(record));
  try {
    // Content first: WSUS marks an update "failed to download" if its metadata arrives before its files.
    Progress progress("placing content", m.inventory.carried_bytes, m.inventory.carried_count, options.show_progress);
    auto placement = value_or_throw(place_content(package.verified, options.content, &progress));
    progress.finish();
    outcome.files_placed = placement.files_placed;
    outcome.bytes_placed = placement.bytes_placed;
    outcome.files_already_present = placement.files_already_present;

    // Metadata last, and only from a package whose signature was checked.
    if (!options.no_metadata_import && package.verified.metadata) {
      fs::path log = log_folder(options) / (package.found.folder_name + "-wsusutil-import.log");
      value_or_throw(wsus::run_wsusutil(*options.wsusutil, "import", *package.verified.metadata, log,
                                        options.wsusutil_timeout));
      outcome.metadata_imported = true;
    }
    report.missing = find_missing(package.verified, options.content);
    auto status = report.missing.empty() ? state::RunStatus::kSucceeded : state::RunStatus::kGapsRemain;
    std::string message = "placed " + std::to_string(outcome.files_placed) + " file(s)";
    if (!report.missing.empty()) message += "; " + std::to_string(report.missing.size()) + " file(s) still missing";
    value_or_throw(ledger.finish_run(run_id, status, package.verified.manifest_sha256, message, outcome.files_placed,
                                     outcome.bytes_placed));
    return outcome;
  } catch (const AirgapError& error) {
    auto status = error.error().code == ExitCode::kWsusutil ? state::RunStatus::kWsusutilFailed
                                                           : state::RunStatus::kFailed;
    (void)ledger.finish_run(run_id, status, package.verified.manifest_sha256, error.error().why.substr(0, 500),
                            outcome.files_placed, outcome.bytes_placed);
    throw;
  }
}

}  // namespace

ImportReport run_import(const ImportOptions& options) {
  if (!options.no_metadata_import && !options.wsusutil && !options.dry_run) {
    fail(ExitCode::kUsage, "import", "no way to import metadata",
         "give --wsusutil PATH, or --no-metadata-import to copy content only");
  }
  if (options.trust.empty()) {
    fail(ExitCode::kUsage, "import", "no trusted key given", "pass the export server's public key with --trust KEY.pub");
  }
  if (options.threshold == 0) fail(ExitCode::kUsage, "--threshold", "must be at least 1");
  // One run at a time per ledger and per content folder.
  auto state_lock = value_or_throw(platform::ExclusiveLock::try_acquire(fs::path(options.state.string() + ".lock")));
  auto content_lock =
      value_or_throw(platform::ExclusiveLock::try_acquire(fs::path(options.content.string() + ".wsus-airgap.lock")));
  boost::system::error_code ec;
  if (!fs::is_directory(options.content, ec)) {
    fail(ExitCode::kOperational, options.content.string(), "is not a folder",
         "give the offline server's WsusContent folder with --content (create it first on a new server)");
  }
  auto ledger = value_or_throw(state::Ledger::open(options.state));
  auto trust = value_or_throw(manifest::TrustStore::load(options.trust));
  if (trust.keys().size() < options.threshold) {
    fail(ExitCode::kUsage, "--threshold", std::to_string(options.threshold) + " signatures required but only " +
                                              std::to_string(trust.keys().size()) + " trusted key(s) given",
         "pass one --trust per signer");
  }

  ImportReport report;
  report.dry_run = options.dry_run;
  auto listing = value_or_throw(verify::find_packages(options.media));
  report.incomplete = listing.incomplete;
  if (listing.packages.empty()) {
    std::string where;
    for (const auto& media : options.media) where += (where.empty() ? "" : ", ") + media.string();
    fail(ExitCode::kOperational, where, "holds no complete wsus-airgap package (wsus-airgap-NNNNNN with manifest.json)",
         "check the --media folder; an interrupted export leaves only a .partial folder");
  }
  auto pending = select_in_order(options, ledger, trust, listing.packages);

  // Intact before anything moves: every volume of every package to apply is hashed now.
  verify::VerifyOptions full;
  full.threshold = options.threshold;
  for (auto& package : pending) {
    if (package.verdict != verify::OrderVerdict::kApply) continue;
    Progress progress("verifying " + package.found.folder_name, 0, 0, options.show_progress);
    full.progress = &progress;
    package.verified = value_or_throw(verify::verify_package(package.found, options.media, trust, full));
  }

  for (const auto& package : pending) {
    if (package.verdict == verify::OrderVerdict::kAlreadyApplied) {
      report.packages.push_back(outcome_of(package, "already applied"));
    } else if (options.dry_run) {
      auto outcome = outcome_of(package, "would apply");
      outcome.files_placed = package.verified.manifest.inventory.carried_count;
      outcome.bytes_placed = package.verified.manifest.inventory.carried_bytes;
      report.packages.push_back(outcome);
    } else {
      report.packages.push_back(apply_package(options, ledger, package, report));
    }
  }
  if (!report.missing.empty()) report.exit_code = ExitCode::kGaps;
  return report;
}

}  // namespace wsa::importing
