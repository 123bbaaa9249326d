#include "import/import_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/platform.h"
#include "common/progress.h"
#include "import/content_placer.h"
#include "import/ledger_guard.h"
#include "import/mirror.h"
#include "manifest/inventory.h"
#include "manifest/keys.h"
#include "manifest/receipt.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/content_store.h"
#include "verify/gap_report.h"
#include "verify/package_check.h"
#include "verify/sequence_chain.h"
#include "wsus/wsusutil.h"

namespace wsa::importing {

namespace {

struct PendingPackage {
  verify::FoundPackage found;
  verify::VerifiedPackage verified;  // signatures and sizes first, hashes before anything moves
  verify::OrderVerdict verdict = verify::OrderVerdict::kApply;
  std::uint64_t volumes_hashed = 0;
  std::uint64_t volumes_skipped = 0;
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

// Intact before anything moves: every pinned file is hashed (verify::verify_package), except volumes
// an interrupted run of the same package already hashed whose size and time are unchanged (a resumed
// run must not read hours of media twice). Placement still checks every file it extracts against the
// signed inventory, so a volume altered behind an unchanged time can put no wrong byte into WsusContent.
void verify_contents(PendingPackage& package, const ImportOptions& options, const manifest::TrustStore& trust,
                     state::Ledger& ledger, Progress* progress) {
  const auto& sha = package.verified.manifest_sha256;
  auto known = value_or_throw(ledger.verified_volumes(sha));
  auto as_verified = [](const manifest::PinnedFile& pinned,
                        const fs::path& found) -> std::optional<state::VerifiedVolume> {
    auto mtime = platform::modification_time_ns(found);
    if (!mtime) return std::nullopt;
    return state::VerifiedVolume{pinned.name, pinned.size, *mtime};
  };
  auto hashed_before = [&](const manifest::PinnedFile& pinned, const fs::path& found) {
    auto now = as_verified(pinned, found);
    return now && std::ranges::any_of(known, [&](const state::VerifiedVolume& v) {
             return v.name == now->name && v.size == now->size && v.mtime_ns == now->mtime_ns;
           });
  };
  const auto volumes = package.verified.manifest.volumes;
  // Counted where verify_package decides, so the report says what was really left unread.
  std::atomic<std::uint64_t> skipped{0};
  verify::VerifyOptions full;
  full.threshold = options.threshold;
  full.progress = progress;
  full.already_hashed = [&](const manifest::PinnedFile& pinned, const fs::path& found) {
    // verify_package reads the manifest afresh, so volumes are recognised by their (unique) names.
    bool is_volume = std::ranges::any_of(volumes, [&](const auto& v) { return v.name == pinned.name; });
    if (!is_volume || !hashed_before(pinned, found)) return false;
    ++skipped;
    return true;
  };
  package.verified = value_or_throw(verify::verify_package(package.found, options.media, trust, full));
  package.volumes_skipped = skipped;
  package.volumes_hashed = package.verified.volumes.size() - package.volumes_skipped;

  if (options.dry_run) return;
  for (std::size_t i = 0; i < package.verified.volumes.size(); ++i) {
    const auto& pinned = package.verified.manifest.volumes[i];
    const auto& found = package.verified.volumes[i];
    if (hashed_before(pinned, found)) continue;
    if (auto now = as_verified(pinned, found)) value_or_throw(ledger.record_verified_volume(sha, *now));
  }
}

// Every inventory file must be on disk with its size once content is placed; what is not becomes a
// gap the offline server's console would later show as "Failed to download".
std::vector<MissingFile> find_missing(const verify::VerifiedPackage& package, const fs::path& content) {
  auto present = value_or_throw(verify::list_content_store(content, nullptr));
  auto inventory = value_or_throw(manifest::InventoryReader::open(package.inventory));
  std::vector<MissingFile> missing;
  auto disk = present.begin();
  while (true) {
    auto entry = value_or_throw(inventory.next());
    if (!entry) break;
    while (disk != present.end() && disk->path < entry->path) ++disk;
    if (disk == present.end() || disk->path != entry->path) {
      missing.push_back({entry->path, "missing", {}, {}, {}});
    } else if (disk->size != entry->size) {
      missing.push_back({entry->path, "wrong size", {}, {}, {}});
    }
  }
  return missing;
}

// Names the updates that need the missing files, and adds the files the metadata references that the
// inventory never listed (the export server lacks them too, but WSUS here will still want them).
std::optional<verify::GapReport> name_updates(const verify::VerifiedPackage& package, const fs::path& content,
                                              state::Ledger& ledger, std::vector<MissingFile>& missing) {
  if (!package.metadata) return std::nullopt;
  verify::GapOptions options;
  options.ledger = &ledger;
  // Best effort: the package is applied by now, and a report without titles beats a run marked failed.
  auto found_gaps = verify::find_gaps(content, *package.metadata, options);
  if (!found_gaps) return std::nullopt;
  const auto& gaps = *found_gaps;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < missing.size(); ++i) index[missing[i].path] = i;
  for (const auto& update : gaps.updates) {
    for (const auto& file : update.files) {
      auto found = index.find(file.path);
      if (found == index.end()) {
        index[file.path] = missing.size();
        missing.push_back({file.path, file.problem, {}, {}, {}});
        found = index.find(file.path);
      }
      MissingFile& entry = missing[found->second];
      if (entry.update_id.empty()) {
        entry.update_id = update.update_id;
        entry.title = update.title;
        entry.kb = update.kb;
      }
    }
  }
  std::sort(missing.begin(), missing.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return std::move(*found_gaps);
}

// What the offline server still lacks once a package is in: its inventory against the disk, then
// the metadata, which also names the updates ("Failed to download" in the console).
void check_gaps(const verify::VerifiedPackage& package, const fs::path& content, state::Ledger& ledger,
                ImportReport& report) {
  report.missing_details = find_missing(package, content);
  report.gaps = name_updates(package, content, ledger, report.missing_details);
  report.missing.clear();
  for (const auto& file : report.missing_details) report.missing.push_back(file.path);
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
  outcome.volumes_hashed = package.volumes_hashed;
  outcome.volumes_skipped = package.volumes_skipped;
  return outcome;
}

PackageOutcome apply_package(const ImportOptions& options, state::Ledger& ledger,
                             const PendingPackage& package, ImportReport& report) {
  const auto& m = package.verified.manifest;
  const auto& sha = package.verified.manifest_sha256;
  PackageOutcome outcome = outcome_of(package, "applied");

  state::RunRecord record;
  record.kind = state::RunKind::kImport;
  record.source_id = m.source_id;
  record.sequence = m.sequence;
  record.manifest_sha256 = sha;
  record.mode = outcome.mode;
  record.package_dir = package.found.dir.string();
  auto run_id = value_or_throw(ledger.begin_run(record));
  try {
    // What an interrupted run of this package already placed is not read again.
    PlacementResume resume;
    for (auto& placed : value_or_throw(ledger.placed_files(sha))) {
      std::string path = placed.path;
      resume.placed_before.emplace(std::move(path), std::move(placed));
    }
    outcome.resumed = !resume.placed_before.empty() || package.volumes_skipped > 0;
    resume.record = [&](const std::vector<state::PlacedFile>& files) {
      return ledger.record_placed_files(sha, run_id, files);
    };

    // Content first: WSUS marks an update "failed to download" if its metadata arrives before its files.
    Progress progress("placing content", m.inventory.carried_bytes, m.inventory.carried_count,
                      options.show_progress);
    auto placement = value_or_throw(place_content(package.verified, options.content, &progress, &resume));
    progress.finish();
    outcome.files_placed = placement.files_placed;
    outcome.bytes_placed = placement.bytes_placed;
    outcome.files_already_present = placement.files_already_present;
    outcome.files_skipped = placement.files_skipped;
    record_carried(package.verified, ledger);

    // Metadata last, and only from a package whose signature was checked.
    if (!options.no_metadata_import && package.verified.metadata) {
      fs::path log = log_folder(options) / (package.found.folder_name + "-wsusutil-import.log");
      value_or_throw(wsus::run_wsusutil(*options.wsusutil, "import", *package.verified.metadata, log,
                                        options.wsusutil_timeout));
      outcome.metadata_imported = true;
    }
    check_gaps(package.verified, options.content, ledger, report);
    auto status = report.missing.empty() ? state::RunStatus::kSucceeded : state::RunStatus::kGapsRemain;
    std::string message = "placed " + std::to_string(outcome.files_placed) + " file(s)";
    if (outcome.resumed) message += " (resumed: " + std::to_string(outcome.files_skipped) + " placed before)";
    if (!report.missing.empty())
      message += "; " + std::to_string(report.missing.size()) + " file(s) still missing";
    value_or_throw(
        ledger.finish_run(run_id, status, sha, message, outcome.files_placed, outcome.bytes_placed));
    // Applied: the resume rows of this package are never needed again.
    value_or_throw(ledger.forget_import_progress(sha));
    return outcome;
  } catch (const AirgapError& error) {
    auto status = error.error().code == ExitCode::kWsusutil ? state::RunStatus::kWsusutilFailed
                                                            : state::RunStatus::kFailed;
    (void)ledger.finish_run(run_id, status, sha, error.error().why.substr(0, 500), outcome.files_placed,
                            outcome.bytes_placed);
    throw;
  }
}

// A run still marked running in the ledger (while we hold the run lock) was killed: say so in the
// journal, so `status` shows it, before this run starts its own.
std::uint64_t close_interrupted_runs(state::Ledger& ledger) {
  std::uint64_t closed = 0;
  for (const auto& run : value_or_throw(ledger.interrupted_runs())) {
    if (run.kind != state::RunKind::kImport) continue;
    value_or_throw(ledger.finish_run(
        run.id, state::RunStatus::kInterrupted, "",
        "interrupted (killed or crashed); resumed by the run started " + manifest::utc_now(), run.files,
        run.bytes));
    ++closed;
  }
  return closed;
}

// "2026-11-25T08:00:00Z" -> "20261125T080000Z": a folder name without ':' (Windows refuses it).
std::string compact_utc(const std::string& utc) {
  std::string text;
  for (char c : utc) {
    if (c != '-' && c != ':') text.push_back(c);
  }
  return text;
}

// Picks the package the tree is mirrored to (the last one applied) and plans the removals, so a
// suspicious package or a mass deletion is refused before anything moves.
std::optional<MirrorPlan> plan_mirror_run(const ImportOptions& options,
                                          const std::vector<PendingPackage>& pending,
                                          MirrorOptions& mirror_options, ImportReport& report) {
  report.mirror = MirrorReport{};
  report.mirror->purge = options.purge;
  report.mirror->dry_run = options.dry_run;
  const PendingPackage* base = nullptr;
  std::set<std::string> sources;
  for (const auto& package : pending) {
    if (package.verdict != verify::OrderVerdict::kApply) continue;
    base = &package;
    sources.insert(package.verified.manifest.source_id);
  }
  if (sources.size() > 1) {
    fail(ExitCode::kUsage, "--mirror",
         "the media holds packages of " + std::to_string(sources.size()) +
             " export servers to apply; mirroring to one would delete the others' content",
         "import without --mirror, or give one server's packages at a time");
  }
  if (base == nullptr) {
    report.mirror->note = "no package applied in this run: nothing mirrored";
    return std::nullopt;
  }
  mirror_options.stamp =
      compact_utc(manifest::utc_now()) + "-" + fmt::format("{:06}", base->verified.manifest.sequence);
  auto plan = value_or_throw(plan_mirror(base->verified, options.content, mirror_options));
  report.mirror->package = plan.package;
  report.mirror->kept = plan.kept;
  return plan;
}

// SHA-256 over the sorted "path\tsize\n" lines of the content folder: two servers with equal digests
// hold the same names and sizes, which the export side can compare with its own tree.
struct ContentDigest {
  std::string sha256;
  std::uint64_t files = 0, bytes = 0;
};
ContentDigest digest_content(const fs::path& content) {
  auto present = value_or_throw(verify::list_content_store(content, nullptr));
  Sha256Hasher hasher;
  ContentDigest digest;
  for (const auto& file : present) {
    std::string line = file.path + "\t" + std::to_string(file.size) + "\n";
    hasher.update(line.data(), line.size());
    ++digest.files;
    digest.bytes += file.size;
  }
  digest.sha256 = hasher.finish_hex();
  return digest;
}

std::vector<manifest::RequestedFile> requested_files(const ImportReport& report) {
  std::vector<manifest::RequestedFile> files;
  for (const auto& file : report.missing_details) {
    files.push_back({file.path, file.reason, file.update_id, file.title, file.kb});
  }
  return files;
}

// The receipt goes back across the gap on the same media: the export side learns what arrived and
// what is still missing without anyone copying lists by hand.
void write_receipts(const ImportOptions& options, state::Ledger& ledger,
                    const std::vector<PendingPackage>& pending,
                    const std::optional<manifest::SigningKey>& key, ImportReport& report) {
  if (pending.empty()) return;
  std::string source_id = pending.back().verified.manifest.source_id;
  for (const auto& outcome : report.packages) {
    if (outcome.result == "applied") source_id = outcome.source_id;
  }
  auto tip = value_or_throw(ledger.last_applied_import(source_id));
  manifest::Receipt receipt;
  receipt.offline_ledger_id = ledger.ledger_id();
  receipt.offline_host = platform::host_name();
  receipt.created_utc = manifest::utc_now();
  receipt.source_id = source_id;
  if (tip) {
    receipt.applied_sequence = tip->sequence;
    receipt.applied_manifest_sha256 = tip->manifest_sha256;
  }
  for (const auto& outcome : report.packages) {
    if (outcome.result == "applied" && outcome.source_id == source_id)
      receipt.applied_this_run.push_back(outcome.sequence);
  }
  auto digest = digest_content(options.content);
  receipt.content_digest = digest.sha256;
  receipt.content_files = digest.files;
  receipt.content_bytes = digest.bytes;
  receipt.missing = requested_files(report);
  std::vector<const manifest::SigningKey*> keys;
  if (key) keys.push_back(&*key);
  std::string bytes = manifest::serialize_receipt(receipt, keys);

  std::vector<fs::path> targets;
  targets.push_back(options.media.front() / fmt::format("wsus-airgap-receipt-{}-{:06}.json",
                                                        receipt.offline_ledger_id.substr(0, 8),
                                                        receipt.applied_sequence));
  if (options.receipt_out) targets.push_back(*options.receipt_out);
  for (const auto& target : targets) {
    if (auto written = write_file_atomically(target, bytes); !written) {
      fail(ExitCode::kOperational, target.string(), "cannot write the receipt: " + written.error().why,
           "the import itself is complete; free space or make the media writable, then run import again to "
           "write the receipt");
    }
    report.receipts.push_back(target);
  }
  if (options.request_out) {
    manifest::ContentRequest request;
    request.created_utc = receipt.created_utc;
    request.offline_host = receipt.offline_host;
    request.source_id = source_id;
    request.files = receipt.missing;
    if (auto written = write_file_atomically(*options.request_out, manifest::serialize_request(request));
        !written) {
      fail(ExitCode::kOperational, options.request_out->string(),
           "cannot write the content request: " + written.error().why,
           "the import itself is complete; choose a writable --request-out and run import again");
    }
    report.request = *options.request_out;
  }
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

ImportReport run_import(const ImportOptions& options) {
  check_options(options);
  // A bad receipt key must not be found out after hours of placing content.
  std::optional<manifest::SigningKey> receipt_key;
  if (options.receipt_key) receipt_key = value_or_throw(manifest::SigningKey::load(*options.receipt_key));
  // One run at a time per ledger and per content folder.
  auto state_lock =
      value_or_throw(platform::ExclusiveLock::try_acquire(fs::path(options.state.string() + ".lock")));
  auto content_lock = value_or_throw(
      platform::ExclusiveLock::try_acquire(fs::path(options.content.string() + ".wsus-airgap.lock")));
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
  if (!options.dry_run) report.interrupted_runs = close_interrupted_runs(ledger);
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

  // Intact before anything moves: every volume of every package to apply is hashed now (or was, by an
  // interrupted run, and is unchanged since).
  for (auto& package : pending) {
    if (package.verdict != verify::OrderVerdict::kApply) continue;
    Progress progress("verifying " + package.found.folder_name, 0, 0, options.show_progress);
    verify_contents(package, options, trust, ledger, &progress);
    progress.finish();
  }

  // Planned now, applied last: a refused mirror (exit 7) leaves everything as it was.
  MirrorOptions mirror_options;
  mirror_options.dry_run = options.dry_run;
  mirror_options.purge = options.purge;
  mirror_options.force = options.force_mirror;
  mirror_options.max_delete = options.max_delete;
  std::optional<MirrorPlan> mirror_plan;
  if (options.mirror) mirror_plan = plan_mirror_run(options, pending, mirror_options, report);

  for (const auto& package : pending) {
    if (package.verdict == verify::OrderVerdict::kAlreadyApplied) {
      report.packages.push_back(outcome_of(package, "already applied"));
      // Nothing to apply, but the gaps it left may still be open: say so again (exit 5), so a re-run
      // is as informative as the run it repeats and its receipt and request stay current.
      if (!options.dry_run) check_gaps(package.verified, options.content, ledger, report);
    } else if (options.dry_run) {
      auto outcome = outcome_of(package, "would apply");
      outcome.files_placed = package.verified.manifest.inventory.carried_count;
      outcome.bytes_placed = package.verified.manifest.inventory.carried_bytes;
      report.packages.push_back(outcome);
      auto paths = carried_not_here(package.verified, options.content);
      report.would_place.insert(report.would_place.end(), paths.begin(), paths.end());
    } else {
      report.packages.push_back(apply_package(options, ledger, package, report));
    }
  }
  if (!report.missing.empty()) report.exit_code = ExitCode::kGaps;

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
      auto done = value_or_throw(apply_mirror(*mirror_plan, options.content, mirror_options));
      report.mirror->removed = std::move(done.removed);
      report.mirror->bytes = done.bytes;
      report.mirror->quarantine = done.quarantine;
    }
  }

  if (!options.dry_run) write_receipts(options, ledger, pending, receipt_key, report);
  return report;
}

}  // namespace wsa::importing
