#include "export/export_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <ctime>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/progress.h"
#include "common/run_lock.h"
#include "common/test_hook.h"
#include "export/volume_writer.h"
#include "manifest/inventory.h"
#include "manifest/keys.h"
#include "manifest/receipt.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/content_store.h"
#include "wsus/export_package.h"
#include "wsus/wsusutil.h"
#include "wsus_airgap_version.h"

namespace wsa::exporting {

namespace {

using manifest::PinnedFile;

struct ExportRun {
  const ExportOptions& options;
  state::Ledger& ledger;
  std::vector<manifest::SigningKey> keys;
  std::uint64_t sequence = 0;
  std::optional<state::RunRecord> previous;
  fs::path partial_dir;  // wsus-airgap-NNNNNN.partial while being written
  fs::path final_dir;
  ExportReport report;
  // Files asked for by --receipt or --request, by canonical path.
  std::map<std::string, manifest::RequestedFile> requested;
  bool exactly_requested = false;  // --request: carry only `requested`
  bool full = false;               // carry every file (--full, or the first package of a ledger)
  std::string receipt_note;        // what the ledger records about the receipt
  // The ledger's shipped set (path -> SHA-256s), read beside the scan.
  std::optional<std::unordered_map<std::string, std::vector<std::string>>> shipped;
};

// The message an interrupted run is finished with, so `status` shows what happened to it.
constexpr const char* kInterruptedMessage = "interrupted (the process ended before the package was finished)";

std::vector<manifest::SigningKey> load_keys(const ExportOptions& options) {
  if (options.keys.empty()) {
    fail(ExitCode::kUsage, "export", "no signing key given",
         "create one with 'wsus-airgap keygen --out NAME' and pass --key NAME.key");
  }
  std::vector<manifest::SigningKey> keys;
  for (const auto& file : options.keys) keys.push_back(value_or_throw(manifest::SigningKey::load(file)));
  return keys;
}

// The metadata package is made (or checked) before any content is read: wsusutil's failure modes,
// such as the zero-byte export of KB2819484, must stop the run before anything is written.
PinnedFile obtain_metadata(ExportRun& run) {
  const auto& options = run.options;
  fs::path target;
  if (options.wsusutil) {
    target = run.partial_dir / "metadata.xml.gz";
    fs::path logs = options.state.parent_path() / "logs";
    boost::system::error_code ec;
    fs::create_directories(logs, ec);
    fs::path log = logs / (run.final_dir.filename().string() + "-wsusutil-export.log");
    value_or_throw(wsus::run_wsusutil(*options.wsusutil, "export", target, log, options.wsusutil_timeout));
  } else {
    target = run.partial_dir / ("metadata" + options.metadata->extension().string());
    if (options.metadata->filename().string().ends_with(".xml.gz"))
      target = run.partial_dir / "metadata.xml.gz";
    boost::system::error_code ec;
    fs::copy_file(*options.metadata, target, fs::copy_options::none, ec);
    if (ec)
      fail(ExitCode::kOperational, options.metadata->string(),
           "cannot copy into the package: " + ec.message());
  }
  auto checked = wsus::check_export_package(target);
  if (!checked) {
    Error error = checked.error();
    error.code = ExitCode::kWsusutil;
    throw AirgapError(error);
  }
  PinnedFile pinned;
  pinned.name = target.filename().string();
  pinned.size = fs::file_size(target);
  pinned.sha256_hex = value_or_throw(sha256_file(target));
  run.report.metadata_name = pinned.name;
  run.report.metadata_bytes = pinned.size;
  return pinned;
}

// The classic cause of "Failed to download" starts here: a server that downloads files only after
// approval exports metadata for updates whose files it never fetched. Say so per update, before
// anything is written, so the admin can approve and wait instead of carrying a package with holes.
void report_source_gaps(ExportRun& run, Result<verify::GapReport> found) {
  auto gaps = value_or_throw(std::move(found));
  for (const auto& update : gaps.updates) {
    std::string name = update.kb.empty() ? update.title : "KB" + update.kb + " " + update.title;
    run.report.warnings.push_back(
        name + " (" + update.update_id + "): " + std::to_string(update.files.size()) +
        " file(s) the metadata references are not in " + run.options.content.string() +
        "; approve the update on this server and let WSUS download them");
  }
  run.report.source_gaps = std::move(gaps.updates);
  if (!run.report.source_gaps.empty() && run.options.require_complete) {
    fail(ExitCode::kGaps, run.options.content.string(),
         "lacks " + std::to_string(gaps.files_with_gaps) + " content file(s) that " +
             std::to_string(run.report.source_gaps.size()) + " update(s) in the metadata need",
         "approve those updates and wait for WSUS to download their files, or export without "
         "--require-complete");
  }
}

// The offline side lacks what was never shipped (or was shipped with other bytes), and what its receipt
// says it lost. --full ships all; --request ships exactly what was asked.
bool should_carry(ExportRun& run, const verify::ContentFile& file) {
  const bool asked = run.requested.contains(file.path);
  if (run.exactly_requested) {
    if (asked) ++run.report.files_resent;
    return asked;
  }
  if (run.full) return true;
  // One query for the whole set: a query per file would dominate the re-scan of an unchanged tree.
  if (!run.shipped) run.shipped = value_or_throw(run.ledger.all_shipped());
  auto shipped = run.shipped->find(file.path);
  if (shipped == run.shipped->end() || std::find(shipped->second.begin(), shipped->second.end(),
                                                 file.digests.sha256_hex) == shipped->second.end()) {
    return true;
  }
  if (asked) ++run.report.files_resent;
  return asked;
}

std::string describe_update(const manifest::RequestedFile& file) {
  std::string known;
  if (!file.kb.empty()) known = file.kb;
  if (!file.title.empty()) known += (known.empty() ? "" : " ") + ("\"" + file.title + "\"");
  if (!file.update_id.empty()) known += (known.empty() ? "update " : ", update ") + file.update_id;
  return known.empty() ? "" : " (needed by " + known + ")";
}

std::optional<manifest::TrustStore> load_receipt_trust(const ExportOptions& options) {
  if (options.receipt_trust.empty()) return std::nullopt;
  return value_or_throw(manifest::TrustStore::load(options.receipt_trust));
}

// A receipt is checked before wsusutil runs: a receipt for another chain or a sequence this ledger never
// made means the operator mixed up media or ledgers, and an hour of wsusutil would be wasted.
void read_receipt(ExportRun& run, const manifest::TrustStore* trust) {
  const fs::path& file = *run.options.receipt;
  auto bytes = value_or_throw(read_small_file(file, manifest::kMaxReceiptBytes));
  auto receipt = value_or_throw(manifest::parse_receipt(bytes, file.string(), trust));
  const std::string& ledger_id = run.ledger.ledger_id();
  if (receipt.source_id != ledger_id) {
    fail(ExitCode::kIntegrity, file.string(),
         "is a receipt for export source " + receipt.source_id + "; this ledger is " + ledger_id,
         "give the receipt written after importing this server's packages, or the --state ledger that "
         "exported "
         "them");
  }
  const std::uint64_t last = run.previous ? run.previous->sequence : 0;
  if (receipt.applied_sequence > last) {
    fail(ExitCode::kIntegrity, file.string(),
         "says sequence " + std::to_string(receipt.applied_sequence) + " was applied, but this ledger (" +
             run.options.state.string() + ") has exported only up to sequence " + std::to_string(last),
         "the receipt belongs to another ledger or was altered; use the ledger that exported those packages");
  }
  if (receipt.applied_sequence > 0) {
    std::optional<state::RunRecord> made;
    for (auto& record : value_or_throw(run.ledger.history(std::numeric_limits<std::uint32_t>::max()))) {
      if (record.kind == state::RunKind::kExport && record.status == state::RunStatus::kSucceeded &&
          record.sequence == receipt.applied_sequence) {
        made = std::move(record);
      }
    }
    if (!made || made->manifest_sha256 != receipt.applied_manifest_sha256) {
      fail(ExitCode::kIntegrity, file.string(),
           "says sequence " + std::to_string(receipt.applied_sequence) + " had manifest " +
               receipt.applied_manifest_sha256 + ", but this ledger exported sequence " +
               std::to_string(receipt.applied_sequence) + " with " +
               (made ? "manifest " + made->manifest_sha256 : "no recorded manifest"),
           "the receipt answers a package this ledger did not make; check the ledger and the receipt's "
           "origin");
    }
  }
  for (auto& wanted : receipt.missing) run.requested.emplace(wanted.path, std::move(wanted));
  run.receipt_note = "receipt " + file.filename().string() + " from " +
                     (receipt.offline_host.empty() ? receipt.offline_ledger_id : receipt.offline_host) +
                     " (applied sequence " + std::to_string(receipt.applied_sequence) + ", " +
                     std::to_string(run.requested.size()) + " file(s) missing)";
}

// Runs left kRunning by a killed export would otherwise look as if they were still going.
void close_interrupted_runs(ExportRun& run) {
  for (const auto& record : value_or_throw(run.ledger.interrupted_runs())) {
    if (record.kind != state::RunKind::kExport) continue;
    value_or_throw(
        run.ledger.finish_run(record.id, state::RunStatus::kInterrupted, "", kInterruptedMessage, 0, 0));
    run.report.interrupted.push_back(record.sequence);
  }
}

// What was asked for but cannot be sent: the operator must learn which update stays incomplete offline.
void report_unavailable_requests(ExportRun& run, const std::vector<const verify::ContentFile*>& shippable) {
  std::set<std::string> present;
  for (const auto* file : shippable) present.insert(file->path);
  for (const auto& [path, wanted] : run.requested) {
    if (present.contains(path)) continue;
    run.report.requested_missing.push_back(path);
    run.report.warnings.push_back(path + describe_update(wanted) + " is asked for but is not in " +
                                  run.options.content.string() +
                                  " (or does not match its name); WSUS must download it again here first");
  }
}

void refuse_unusable_source(const ExportOptions& options, const verify::ContentListing& listing) {
  if (listing.files.empty() && !options.allow_empty) {
    fail(ExitCode::kOperational, options.content.string(), "holds no WsusContent files",
         "check that --content names the WsusContent folder (an empty source would make a mirror import wipe "
         "the offline store); pass --allow-empty if it really is empty");
  }
}

std::string utc_in_days(std::uint64_t days) {
  return manifest::format_utc(static_cast<std::int64_t>(std::time(nullptr)) +
                              static_cast<std::int64_t>(days) * 86400);
}

// A sequence number means one manifest forever: the ledger records a package before its folder gets
// its final name, so a run killed between the two leaves a recorded package in its .partial folder.
// The next run on the same media gives it its name instead of making a second, different package.
void finish_recorded_package(ExportRun& run) {
  if (!run.previous || run.previous->manifest_sha256.empty()) return;
  fs::path final_dir = run.options.media / manifest::package_folder_name(run.previous->sequence);
  fs::path partial_dir(final_dir.string() + ".partial");
  boost::system::error_code ec;
  if (fs::exists(final_dir, ec) || !fs::is_regular_file(partial_dir / "manifest.json", ec)) return;
  auto bytes = read_small_file(partial_dir / "manifest.json", manifest::kMaxManifestBytes);
  if (!bytes || sha256_hex(*bytes) != run.previous->manifest_sha256) return;  // not the recorded one
  fs::rename(partial_dir, final_dir, ec);
  if (ec) {
    fail(ExitCode::kOperational, partial_dir.string(),
         "holds package " + std::to_string(run.previous->sequence) +
             ", recorded in the ledger but not yet named: cannot rename it: " + ec.message(),
         "rename the folder to " + final_dir.filename().string() + " by hand, then run the export again");
  }
  run.report.finished.push_back(run.previous->sequence);
}

// The next sequence's folder is already on the media: another export server's package (a shared stick)
// or one made with another copy of this ledger. Either way nothing is overwritten; the words differ.
[[noreturn]] void refuse_existing_package(const ExportRun& run) {
  auto bytes = read_small_file(run.final_dir / "manifest.json", manifest::kMaxManifestBytes);
  auto other = bytes ? manifest::parse_manifest(*bytes, run.final_dir.string())
                     : Result<manifest::TransferManifest>(std::unexpected(bytes.error()));
  if (other && other->source_id != run.ledger.ledger_id()) {
    fail(ExitCode::kOperational, run.final_dir.string(),
         "holds a package of another export server (source " + other->source_id + ", host " +
             other->source_host + "); this ledger is source " + run.ledger.ledger_id(),
         "give each export server its own folder on the media, e.g. --media " +
             (run.options.media / platform::host_name()).string());
  }
  fail(ExitCode::kOperational, run.final_dir.string(), "already exists on the media",
       "the ledger and the media disagree: move that folder away (or use the ledger that made it)");
}

void remove_partial(const fs::path& dir) {
  boost::system::error_code ignored;
  if (!dir.empty()) fs::remove_all(dir, ignored);
}

}  // namespace

std::uint64_t volume_limit(std::uint64_t requested) {
  // FAT32 holds files of at most 4 GiB - 1 byte, and "4G" is what people type for a FAT32 stick.
  constexpr std::uint64_t kFat32Limit = (4ULL << 30) - 1;
  if (requested == 0) return std::numeric_limits<std::uint64_t>::max();
  if (requested == kFat32Limit + 1) return kFat32Limit;
  return requested;
}

ExportReport run_export(const ExportOptions& options) {
  if (options.wsusutil.has_value() == options.metadata.has_value()) {
    fail(ExitCode::kUsage, "export", "give exactly one of --wsusutil and --metadata");
  }
  // Two runs must never interleave their sequences or their package folders.
  auto lock = value_or_throw(lock_for(options.state, ".lock"));
  auto ledger = value_or_throw(state::Ledger::open(options.state));
  ExportRun run{options, ledger, {}, 0, std::nullopt, {}, {}, {}, {}, false, false, {}, std::nullopt};
  run.report.dry_run = options.dry_run;

  // Keys first: a missing key must not cost an hour of wsusutil.
  if (!options.dry_run) run.keys = load_keys(options);
  for (const auto& key : run.keys) run.report.key_ids.push_back(key.key_id());
  if (!options.dry_run) close_interrupted_runs(run);

  run.previous = value_or_throw(ledger.last_successful_export());
  if (!options.dry_run) finish_recorded_package(run);
  if (options.receipt && options.request) {
    fail(ExitCode::kUsage, "export", "give at most one of --receipt and --request");
  }
  auto trust = load_receipt_trust(options);
  if (options.receipt) read_receipt(run, trust ? &*trust : nullptr);
  if (options.request) {
    if (options.full) fail(ExitCode::kUsage, "export", "--request and --full exclude each other");
    for (auto& wanted :
         value_or_throw(manifest::read_requested_files(*options.request, trust ? &*trust : nullptr))) {
      run.requested.emplace(wanted.path, std::move(wanted));
    }
    run.exactly_requested = true;
  }
  if (run.exactly_requested && !run.previous) {
    fail(ExitCode::kUsage, options.request->string(),
         "asks for files, but this ledger has exported nothing yet",
         "export a full package first (without --request)");
  }
  run.sequence = run.previous ? run.previous->sequence + 1 : 1;
  // The first package carries everything, so it is a full one whatever was asked.
  run.full = options.full || !run.previous;
  run.report.mode = run.full ? "full" : "incremental";
  run.report.sequence = run.sequence;
  run.final_dir = options.media / manifest::package_folder_name(run.sequence);
  run.partial_dir = fs::path(run.final_dir.string() + ".partial");
  run.report.package_dir = run.final_dir;

  boost::system::error_code ec;
  if (!options.dry_run) {
    if (fs::exists(run.final_dir, ec)) refuse_existing_package(run);
    remove_partial(run.partial_dir);  // left by a killed run; never trusted, never resumed
    fs::create_directories(run.partial_dir, ec);
    if (ec) fail(ExitCode::kOperational, run.partial_dir.string(), "cannot create: " + ec.message());
  }

  state::RunRecord record;
  record.kind = state::RunKind::kExport;
  record.source_id = ledger.ledger_id();
  record.sequence = run.sequence;
  record.mode = run.report.mode;
  record.package_dir = run.final_dir.string();
  std::int64_t run_id = options.dry_run ? 0 : value_or_throw(ledger.begin_run(record));
  bool recorded = false;  // the ledger holds the finished package: its folder must never be removed

  try {
    std::optional<PinnedFile> metadata;
    if (!options.dry_run) metadata = obtain_metadata(run);
    if (!options.dry_run) reached_step("metadata-exported");

    // Reading the metadata is CPU work and the scan is file-system work: run them side by side.
    std::optional<fs::path> metadata_path;
    if (metadata)
      metadata_path = run.partial_dir / metadata->name;
    else if (options.metadata)
      metadata_path = *options.metadata;
    std::future<Result<verify::GapReport>> source_gaps;
    if (metadata_path) {
      source_gaps = std::async(std::launch::async, [&options, path = *metadata_path] {
        return verify::find_gaps(options.content, path, {});
      });
    }

    // The shipped set is needed right after the scan; read it while the walk waits on the disk.
    // (The ledger's connection is opened in serialized mode, so two threads may use it.)
    std::future<Result<std::unordered_map<std::string, std::vector<std::string>>>> shipped_load;
    if (!run.exactly_requested && !run.full) {
      shipped_load = std::async(std::launch::async, [&ledger] { return ledger.all_shipped(); });
    }

    // Read the store; the hash cache makes an unchanged tree cost a directory walk.
    Progress scan_progress("hashing", 0, 0, options.show_progress);
    verify::ScanOptions scan_options;
    scan_options.rehash = options.rehash;
    scan_options.progress = &scan_progress;
    auto listing = value_or_throw(verify::scan_content_store(options.content, &ledger, scan_options));
    scan_progress.finish();
    if (shipped_load.valid()) run.shipped = value_or_throw(shipped_load.get());
    refuse_unusable_source(options, listing);
    if (source_gaps.valid()) report_source_gaps(run, source_gaps.get());
    run.report.files_hashed = listing.hashed_files;
    run.report.files_from_cache = listing.cached_files;
    for (const auto& foreign : listing.foreign_files) {
      run.report.warnings.push_back(foreign.string() + " is not a WsusContent file name; left out");
    }

    // A file whose bytes do not match its SHA-1 name would be refused by WSUS clients; never ship it.
    std::vector<const verify::ContentFile*> shippable;
    for (const auto& file : listing.files) {
      if (file.name_matches())
        shippable.push_back(&file);
      else
        run.report.mismatched.push_back(file.path);
    }
    if (!run.report.mismatched.empty() && !options.skip_mismatched) {
      std::string list;
      for (std::size_t i = 0; i < std::min<std::size_t>(run.report.mismatched.size(), 10); ++i) {
        list += "\n    " + run.report.mismatched[i];
      }
      fail(ExitCode::kIntegrity, options.content.string(),
           std::to_string(run.report.mismatched.size()) + " file(s) do not match their SHA-1 names:" + list,
           "WSUS re-downloads such files on the connected server (run 'wsusutil reset'); or pass "
           "--skip-mismatched "
           "to export the rest now");
    }

    report_unavailable_requests(run, shippable);
    std::vector<bool> carry(shippable.size());
    for (std::size_t i = 0; i < shippable.size(); ++i) {
      carry[i] = should_carry(run, *shippable[i]);
      run.report.files_total += 1;
      run.report.bytes_total += shippable[i]->size;
      if (carry[i]) {
        run.report.files_carried += 1;
        run.report.bytes_carried += shippable[i]->size;
      }
    }
    if (options.dry_run) return run.report;

    // Content: one read of each carried file, hashed again while written, so a file that changed
    // since the scan is caught rather than shipped with a stale digest.
    const std::uint64_t volume_size = volume_limit(options.volume_size);
    Progress write_progress("writing volumes", run.report.bytes_carried, run.report.files_carried,
                            options.show_progress);
    auto writer = value_or_throw(VolumeWriter::create(run.partial_dir, volume_size, &write_progress));
    auto inventory = value_or_throw(manifest::InventoryWriter::create(run.partial_dir / "inventory.tsv"));
    std::vector<std::pair<std::string, std::string>> shipped;
    for (std::size_t i = 0; i < shippable.size(); ++i) {
      const auto& file = *shippable[i];
      if (carry[i]) {
        auto written = value_or_throw(writer.add_file(file.path, file.disk_path, file.size));
        if (written.sha256_hex != file.digests.sha256_hex) {
          fail(ExitCode::kOperational, file.disk_path.string(), "changed while being exported",
               "let WSUS finish downloading, then run the export again");
        }
        shipped.emplace_back(file.path, file.digests.sha256_hex);
      }
      value_or_throw(
          inventory.add({file.path, file.size, file.digests.sha256_hex, file.digests.sha1_hex, carry[i]}));
    }
    auto volumes = value_or_throw(writer.finish());
    write_progress.finish();
    auto inventory_summary = value_or_throw(inventory.finish());
    reached_step("volumes-written");

    // The manifest pins everything above; it is signed, and written last.
    manifest::TransferManifest m;
    m.source_id = ledger.ledger_id();
    m.source_host = platform::host_name();
    m.sequence = run.sequence;
    m.previous_manifest_sha256 = run.previous ? run.previous->manifest_sha256 : "";
    m.created_utc = manifest::utc_now();
    if (options.expires_in_days) m.expires_utc = utc_in_days(*options.expires_in_days);
    m.mode = run.full ? manifest::PackageMode::kFull : manifest::PackageMode::kIncremental;
    m.metadata = metadata;
    m.volumes = volumes;
    m.inventory = inventory_summary;
    m.tool_version = WSUS_AIRGAP_VERSION;
    std::string manifest_bytes = manifest::serialize_manifest(m);
    std::vector<manifest::Signature> signatures;
    for (const auto& key : run.keys) signatures.push_back({key.key_id(), key.sign(manifest_bytes)});
    value_or_throw(write_file_atomically(run.partial_dir / "signatures.json",
                                         manifest::serialize_signatures(signatures)));
    value_or_throw(write_file_atomically(run.partial_dir / "manifest.json", manifest_bytes));
    reached_step("signed");

    run.report.manifest_sha256 = sha256_hex(manifest_bytes);
    for (const auto& volume : volumes) run.report.volumes.push_back(volume.name);
    std::string message = "exported " + std::to_string(run.report.files_carried) + " file(s)";
    if (run.exactly_requested) {
      message += " requested by " + options.request->filename().string();
    } else if (!run.receipt_note.empty()) {
      message += "; " + run.receipt_note + ", " + std::to_string(run.report.files_resent) + " re-sent";
    }
    // Recorded before the folder is named, so a sequence is never made twice (finish_recorded_package);
    // the shipped set after the run, so a crash between the two only makes the next export carry those
    // files again, never leave them out.
    value_or_throw(ledger.finish_run(run_id, state::RunStatus::kSucceeded, run.report.manifest_sha256,
                                     message, run.report.files_carried, run.report.bytes_carried));
    recorded = true;
    value_or_throw(ledger.record_shipped(run.sequence, shipped));
    reached_step("recorded");
    fs::rename(run.partial_dir, run.final_dir, ec);
    if (ec) {
      fail(ExitCode::kOperational, run.partial_dir.string(),
           "package " + std::to_string(run.sequence) +
               " is signed and recorded, but its folder cannot be renamed: " + ec.message(),
           "run the same export again to finish it (it is not made twice), or rename the folder to " +
               run.final_dir.filename().string());
    }
    reached_step("renamed");
    return run.report;
  } catch (const AirgapError& error) {
    if (recorded) throw;  // the package exists; the next run finishes it
    remove_partial(run.partial_dir);
    if (run_id != 0) {
      auto status = error.error().code == ExitCode::kWsusutil ? state::RunStatus::kWsusutilFailed
                                                              : state::RunStatus::kFailed;
      (void)ledger.finish_run(run_id, status, "", error.error().why.substr(0, 500), 0, 0);
    }
    throw;
  }
}

}  // namespace wsa::exporting
