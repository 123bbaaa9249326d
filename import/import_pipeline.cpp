#include "import/import_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <ctime>
#include <map>

#include "common/progress.h"
#include "common/run_lock.h"
#include "common/test_hook.h"
#include "import/content_placer.h"
#include "import/import_steps.h"
#include "import/ledger_guard.h"
#include "manifest/inventory.h"
#include "state/recorded_run.h"
#include "wsus/wsusutil.h"

namespace wsa::importing {

namespace {

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
    // Seen once signed, whatever the order check says of it: `status` tells how new the newest is.
    if (!options.dry_run) {
      value_or_throw(ledger.record_package_seen(
          {source, verified.manifest.sequence, verified.manifest_sha256, verified.manifest.created_utc, {}}));
    }
    by_source[source].push_back({package, std::move(verified), verify::OrderVerdict::kApply});
  }
  // Two export servers' chains are both legitimate, but one run's receipt, gap report and mirror
  // speak for one chain: each server's packages are imported in a run of their own.
  if (by_source.size() > 1) {
    std::string sources;
    for (const auto& [source, packages] : by_source) {
      const auto& m = packages.front().verified.manifest;
      sources += (sources.empty() ? "" : "; ") + source + " (host " + m.source_host + ", in " +
                 packages.front().found.dir.parent_path().string() + ")";
    }
    fail(ExitCode::kOperational, "--media",
         "holds packages of " + std::to_string(by_source.size()) + " export servers: " + sources,
         "import one server's packages at a time: give only the folder holding that server's packages with "
         "--media, then run import again for the other");
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

// Which package carried which file, so `gaps` can say which one should have brought a missing file.
void record_carried(const verify::VerifiedPackage& package, state::Ledger& ledger) {
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<std::pair<std::string, std::string>> batch;
  while (auto entry = value_or_throw(inventory.next())) {
    if (!entry->carried) continue;
    batch.emplace_back(entry->path, entry->sha256_hex);
    if (batch.size() >= 10000) {
      value_or_throw(ledger.record_shipped(package.manifest.sequence, batch));
      batch.clear();
    }
  }
  value_or_throw(ledger.record_shipped(package.manifest.sequence, batch));
}

// Placement leaves every carried file under its canonical name with the inventory's size (written and
// checked by hash, found intact, or placed by an interrupted run and unchanged since): the checks after
// it take those facts instead of looking at each file again.
std::vector<verify::ListedFile> carried_files(const verify::VerifiedPackage& package) {
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<verify::ListedFile> files;
  while (auto entry = value_or_throw(inventory.next())) {
    if (entry->carried) files.push_back({std::move(entry->path), {}, entry->size});
  }
  return files;
}

std::vector<std::string> carried_not_here(const verify::VerifiedPackage& package, const fs::path& content) {
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<std::string> paths;
  while (auto entry = value_or_throw(inventory.next())) {
    if (!entry->carried) continue;
    boost::system::error_code ec;
    fs::path target = content / entry->path;
    if (!fs::is_regular_file(target, ec) || fs::file_size(target, ec) != entry->size)
      paths.push_back(entry->path);
  }
  return paths;
}

PackageOutcome outcome_of(const PendingPackage& package, PackageResult result) {
  PackageOutcome outcome;
  outcome.sequence = package.verified.manifest.sequence;
  outcome.source_id = package.verified.manifest.source_id;
  outcome.folder = package.found.folder_name;
  outcome.mode = manifest::to_string(package.verified.manifest.mode);
  outcome.result = result;
  outcome.volumes_hashed = package.volumes_hashed;
  outcome.volumes_skipped = package.volumes_skipped;
  return outcome;
}

PackageOutcome apply_package(const ImportOptions& options, state::Ledger& ledger,
                             const PendingPackage& package, verify::StoreListing& store,
                             ImportReport& report) {
  const auto& m = package.verified.manifest;
  const auto& sha = package.verified.manifest_sha256;
  PackageOutcome outcome = outcome_of(package, PackageResult::kApplied);

  state::RunRecord record;
  record.kind = state::RunKind::kImport;
  record.source_id = m.source_id;
  record.sequence = m.sequence;
  record.manifest_sha256 = sha;
  record.mode = outcome.mode;
  record.package_dir = package.found.dir.string();
  auto run = state::RecordedRun::begin(ledger, record);
  return state::recording_failure(run, [&] {
    // What an interrupted run of this package already placed is not read again.
    PlacementResume resume;
    for (auto& placed : value_or_throw(ledger.placed_files(sha))) {
      std::string path = placed.path;
      resume.placed_before.emplace(std::move(path), std::move(placed));
    }
    outcome.resumed = !resume.placed_before.empty() || package.volumes_skipped > 0;
    resume.record = [&](const std::vector<state::PlacedFile>& files) {
      return ledger.record_placed_files(sha, run.id(), files);
    };
    resume.volume_hashed_before = volumes_hashed_before(package, ledger);
    resume.volume_verified = [&](std::size_t index) {
      return record_volume_verified(package, ledger, index);
    };
    outcome.resumed =
        outcome.resumed || std::find(resume.volume_hashed_before.begin(), resume.volume_hashed_before.end(),
                                     true) != resume.volume_hashed_before.end();

    // Content first: WSUS marks an update "failed to download" if its metadata arrives before its files.
    Progress progress("placing content", m.inventory.carried_bytes, m.inventory.carried_count,
                      options.show_progress);
    reached_step("placing");
    auto placement = value_or_throw(place_content(package.verified, options.content, &progress, &resume));
    progress.finish();
    reached_step("placed");
    outcome.files_placed = placement.files_placed;
    outcome.bytes_placed = placement.bytes_placed;
    outcome.files_already_present = placement.files_already_present;
    outcome.files_skipped = placement.files_skipped;
    outcome.volumes_hashed = placement.volumes_hashed;
    outcome.volumes_skipped = placement.volumes_skipped;
    run.count(outcome.files_placed, outcome.bytes_placed);
    record_carried(package.verified, ledger);
    store.add_known(carried_files(package.verified));

    // Metadata last, and only from a package whose signature was checked (its verified copy).
    if (!options.no_metadata_import && package.verified.metadata) {
      fs::path log = state::logs_folder(options.state) / (package.found.folder_name + "-wsusutil-import.log");
      value_or_throw(wsus::run_wsusutil(*options.wsusutil, "import", *package.verified.metadata, log,
                                        options.wsusutil_timeout));
      outcome.metadata_imported = true;
      reached_step("metadata-imported");
    }
    check_gaps(package.verified, store, ledger, report);
    auto status = report.missing.empty() ? state::RunStatus::kSucceeded : state::RunStatus::kGapsRemain;
    std::string message = "placed " + std::to_string(outcome.files_placed) + " file(s)";
    if (outcome.resumed) message += " (resumed: " + std::to_string(outcome.files_skipped) + " placed before)";
    if (!report.missing.empty())
      message += "; " + std::to_string(report.missing.size()) + " file(s) still missing";
    auto superseded = tip_of(ledger, m.source_id);
    run.finish(status, sha, message);
    // Applied: the resume rows of this package are never needed again, nor the previous tip's copies.
    value_or_throw(ledger.forget_import_progress(sha));
    if (superseded && superseded->manifest_sha256 != sha)
      forget_verified_copies(options, superseded->manifest_sha256);
    return outcome;
  });
}

void check_options(const ImportOptions& options) {
  if (!options.no_metadata_import && !options.wsusutil && !options.dry_run) {
    fail(ExitCode::kUsage, "import", "no way to import metadata",
         "give --wsusutil PATH, or --no-metadata-import to copy content only");
  }
  if (options.trust.empty()) {
    fail(ExitCode::kUsage, "import", "no trusted key given",
         "pass the export server's public key with --trust KEY.pub");
  }
  if (options.threshold == 0) fail(ExitCode::kUsage, "--threshold", "must be at least 1");
  if (!options.mirror && (options.purge || options.force_mirror || options.max_delete != kDefaultMaxDelete)) {
    fail(ExitCode::kUsage,
         options.purge          ? "--purge"
         : options.force_mirror ? "--force-mirror"
                                : "--max-delete",
         "only applies with --mirror", "add --mirror to remove content the export server no longer has");
  }
}

}  // namespace

const char* to_string(PackageResult result) {
  switch (result) {
    case PackageResult::kApplied:
      return "applied";
    case PackageResult::kAlreadyApplied:
      return "already applied";
    case PackageResult::kWouldApply:
      return "would apply";
  }
  return "applied";
}

ImportReport run_import(const ImportOptions& options) {
  check_options(options);
  // A bad receipt key must not be found out after hours of placing content.
  std::optional<manifest::SigningKey> receipt_key;
  if (options.receipt_key) receipt_key = value_or_throw(manifest::SigningKey::load(*options.receipt_key));
  // One run at a time per ledger and per content folder.
  auto state_lock = value_or_throw(lock_for(options.state, ".lock"));
  auto content_lock = value_or_throw(lock_for(options.content, ".wsus-airgap.lock"));
  boost::system::error_code ec;
  if (!fs::is_directory(options.content, ec)) {
    fail(ExitCode::kOperational, options.content.string(), "is not a folder",
         "give the offline server's WsusContent folder with --content (create it first on a new server)");
  }
  if (!options.new_ledger) refuse_new_ledger_beside_content(options.state, options.content);
  auto ledger = value_or_throw(state::Ledger::open(options.state));
  auto trust = value_or_throw(manifest::TrustStore::load(options.trust));
  if (trust.keys().size() < options.threshold) {
    fail(ExitCode::kUsage, "--threshold",
         std::to_string(options.threshold) + " signatures required but only " +
             std::to_string(trust.keys().size()) + " trusted key(s) given",
         "pass one --trust per signer");
  }

  ImportReport report;
  report.dry_run = options.dry_run;
  // A run still marked running (while we hold the run lock) was killed: say so before this one starts.
  if (!options.dry_run) {
    report.interrupted_runs =
        state::close_interrupted_runs(
            ledger, state::RunKind::kImport,
            "interrupted (killed or crashed); resumed by the run started " + manifest::utc_now())
            .size();
  }
  auto listing = value_or_throw(verify::find_packages(options.media));
  report.incomplete = listing.incomplete;
  if (listing.packages.empty()) {
    std::string where;
    for (const auto& media : options.media) where += (where.empty() ? "" : ", ") + media.string();
    fail(ExitCode::kOperational, where,
         "holds no complete wsus-airgap package (wsus-airgap-NNNNNN with manifest.json)",
         "check the --media folder; an interrupted export leaves only a .partial folder");
  }
  auto pending = select_in_order(options, ledger, trust, listing.packages);

  // Authentic and whole before anything moves: signatures, sizes, and the inventory and metadata hashed
  // into their verified copies. The volumes are hashed as placement extracts them (one read of the
  // media), and nothing reaches XX/ before every volume of the package matched.
  for (auto& package : pending) {
    if (package.verdict != verify::OrderVerdict::kApply) continue;
    Progress progress("verifying " + package.found.folder_name, 0, 0, options.show_progress);
    verify_contents(package, options, trust, ledger, &progress);
    progress.finish();
  }
  // A package applied before whose gaps (or mirror) this run reports reads its verified copies.
  for (auto& package : pending) {
    if (package.verdict == verify::OrderVerdict::kAlreadyApplied && !options.dry_run)
      reverify_applied(package, options, trust);
  }
  reached_step("verified");
  // Settings before anything changes: Microsoft requires the express-files option and the languages to
  // match, and a replica cannot take approvals; a refusal (exit 10) leaves the server as it was.
  auto approvals = check_server_settings(options, pending, report);

  // Planned now, applied last: a refused mirror (exit 7) leaves everything as it was.
  MirrorOptions mirror_options;
  mirror_options.dry_run = options.dry_run;
  mirror_options.purge = options.purge;
  mirror_options.force = options.force_mirror;
  mirror_options.max_delete = options.max_delete;
  // The mirror plan, the gaps after each package and the receipt's digest share one StoreListing: each
  // reads the names again, but a file is stat'ed at most once per run, and one this run placed not at all.
  verify::StoreListing store(options.content);
  std::optional<MirrorPlan> mirror_plan;
  const PendingPackage* mirror_base = nullptr;
  if (options.mirror)
    mirror_plan = plan_mirror_run(options, pending, store, mirror_options, report, mirror_base);

  for (const auto& package : pending) {
    if (package.verdict == verify::OrderVerdict::kAlreadyApplied) {
      report.packages.push_back(outcome_of(package, PackageResult::kAlreadyApplied));
      // Nothing to apply, but the gaps it left may still be open: say so again (exit 5), so a re-run
      // is as informative as the run it repeats and its receipt and request stay current.
      if (!options.dry_run) check_gaps(package.verified, store, ledger, report);
    } else if (options.dry_run) {
      auto outcome = outcome_of(package, PackageResult::kWouldApply);
      outcome.files_placed = package.verified.manifest.inventory.carried_count;
      outcome.bytes_placed = package.verified.manifest.inventory.carried_bytes;
      report.packages.push_back(outcome);
      auto paths = carried_not_here(package.verified, options.content);
      report.would_place.insert(report.would_place.end(), paths.begin(), paths.end());
    } else {
      report.packages.push_back(apply_package(options, ledger, package, store, report));
    }
  }
  if (!report.missing.empty()) report.exit_code = ExitCode::kGaps;
  // After wsusutil import, which brings the revisions the approvals name.
  if (approvals) run_approvals(*approvals, options, ledger, report);

  // Last, and only when everything before succeeded: an error above has already thrown, and files
  // still missing mean the tree is not yet the export server's, so nothing is deleted then either.
  if (mirror_plan) {
    if (options.dry_run) {
      for (const auto& file : mirror_plan->remove) report.mirror->removed.push_back(file.path);
      report.mirror->bytes = mirror_plan->remove_bytes;
      if (mirror_plan->refusal) {
        report.mirror->refusal = mirror_plan->refusal->message();
        report.exit_code = ExitCode::kDeleteCap;
      }
    } else if (!report.missing.empty()) {
      report.mirror->note = "content files are still missing: nothing deleted; mirror again once they arrive";
    } else {
      reached_step("mirroring");
      auto done = apply_recorded_mirror(*mirror_plan, *mirror_base, options, mirror_options, ledger);
      report.mirror->removed = std::move(done.removed);
      report.mirror->bytes = done.bytes;
      report.mirror->quarantine = done.quarantine;
    }
  }

  if (!options.dry_run) reached_step("writing-receipt");
  if (!options.dry_run) write_receipts(options, ledger, pending, store, receipt_key, report);
  return report;
}

}  // namespace wsa::importing
