#include "export/export_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <ctime>
#include <limits>
#include <map>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/progress.h"
#include "common/run_lock.h"
#include "common/test_hook.h"
#include "export/export_run.h"
#include "export/volume_writer.h"
#include "manifest/inventory.h"
#include "manifest/keys.h"
#include "manifest/receipt.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "state/recorded_run.h"
#include "verify/content_store.h"
#include "wsus/export_package.h"
#include "wsus/wsusutil.h"
#include "wsus_airgap_version.h"

namespace wsa::exporting {

namespace {

using manifest::PinnedFile;

// What the scan found and what of it travels.
struct Selection {
  verify::ContentListing listing;
  std::vector<const verify::ContentFile*> shippable;  // files whose bytes match their SHA-1 name, sorted
  std::vector<bool> carry;                            // per shippable file
};

// What the volumes hold, for the manifest (the ledger's shipped set is the selection's carried files).
struct Written {
  std::vector<PinnedFile> volumes;
  manifest::InventorySummary inventory;
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
    fs::path log =
        state::logs_folder(options.state) / (run.final_dir.filename().string() + "-wsusutil-export.log");
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
  PinnedFile pinned;
  pinned.name = target.filename().string();
  pinned.size = fs::file_size(target);
  pinned.sha256_hex = value_or_throw(sha256_file(target));
  // Bytes an earlier metadata check read whole are a well-formed package: not inflated again.
  if (!value_or_throw(run.ledger.knows_metadata_package(pinned.sha256_hex))) {
    auto checked = wsus::check_export_package(target);
    if (!checked) {
      Error error = checked.error();
      error.code = ExitCode::kWsusutil;
      throw AirgapError(error);
    }
  }
  run.report.metadata_name = pinned.name;
  run.report.metadata_bytes = pinned.size;
  return pinned;
}

// A file whose bytes do not match its SHA-1 name would be refused by WSUS clients; never ship it.
void refuse_mismatched(ExportRun& run, Selection& selection) {
  for (const auto& file : selection.listing.files) {
    if (file.name_matches())
      selection.shippable.push_back(&file);
    else
      run.report.mismatched.push_back(file.path);
  }
  if (run.report.mismatched.empty() || run.options.skip_mismatched) return;
  std::string list;
  for (std::size_t i = 0; i < std::min<std::size_t>(run.report.mismatched.size(), 10); ++i) {
    list += "\n    " + run.report.mismatched[i];
  }
  fail(ExitCode::kIntegrity, run.options.content.string(),
       std::to_string(run.report.mismatched.size()) + " file(s) do not match their SHA-1 names:" + list,
       "WSUS re-downloads such files on the connected server (run 'wsusutil reset'); or pass "
       "--skip-mismatched to export the rest now");
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
  if (fs::exists(final_dir, ec) || !fs::is_regular_file(partial_dir / manifest::kManifestFileName, ec))
    return;
  auto bytes = read_small_file(partial_dir / manifest::kManifestFileName, manifest::kMaxManifestBytes);
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
  auto bytes = read_small_file(run.final_dir / manifest::kManifestFileName, manifest::kMaxManifestBytes);
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

// Steps 1 (after the lock): keys, the journal's killed runs, the chain's tip, what the receipt or
// request asks for, and the sequence and folder this run makes. Nothing is written to the media yet.
void prepare(ExportRun& run) {
  const auto& options = run.options;
  if (options.receipt && options.request) {
    fail(ExitCode::kUsage, "export", "give at most one of --receipt and --request");
  }
  // Keys first: a missing key must not cost an hour of wsusutil.
  if (!options.dry_run) run.keys = load_keys(options);
  for (const auto& key : run.keys) run.report.key_ids.push_back(key.key_id());
  if (!options.dry_run) {
    for (const auto& record :
         state::close_interrupted_runs(run.ledger, state::RunKind::kExport, kInterruptedMessage))
      run.report.interrupted.push_back(record.sequence);
  }
  run.previous = value_or_throw(run.ledger.last_successful_export());
  if (!options.dry_run) finish_recorded_package(run);
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
}

// The package is written in `.partial` (which verify and import ignore) and named only once recorded.
void open_package_folder(const ExportRun& run) {
  boost::system::error_code ec;
  if (fs::exists(run.final_dir, ec)) refuse_existing_package(run);
  remove_partial(run.partial_dir);  // left by a killed run before it was recorded: never resumed
  fs::create_directories(run.partial_dir, ec);
  if (ec) fail(ExitCode::kOperational, run.partial_dir.string(), "cannot create: " + ec.message());
}

state::RunRecord run_record(const ExportRun& run) {
  state::RunRecord record;
  record.kind = state::RunKind::kExport;
  record.source_id = run.ledger.ledger_id();
  record.sequence = run.sequence;
  record.mode = run.report.mode;
  record.package_dir = run.final_dir.string();
  return record;
}

// Steps 3-4: read the store once (the hash cache makes an unchanged tree cost a directory walk), check
// the metadata's files against that one reading, then choose what to carry.
Selection scan_and_choose(ExportRun& run, const std::optional<PinnedFile>& metadata) {
  const auto& options = run.options;
  MetadataCheck metadata_check(run, metadata);
  Progress scan_progress("hashing", 0, 0, options.show_progress);
  verify::ScanOptions scan_options;
  scan_options.rehash = options.rehash;
  scan_options.progress = &scan_progress;
  Selection selection;
  selection.listing = value_or_throw(verify::scan_content_store(options.content, &run.ledger, scan_options));
  scan_progress.finish();
  refuse_unusable_source(options, selection.listing);
  // The check looks each referenced file up in the scan, not on the disk again.
  metadata_check.finish(selection.listing);
  run.report.files_hashed = selection.listing.hashed_files;
  run.report.files_from_cache = selection.listing.cached_files;
  for (const auto& foreign : selection.listing.foreign_files) {
    run.report.warnings.push_back(foreign.string() + " is not a WsusContent file name; left out");
  }
  refuse_mismatched(run, selection);
  report_unavailable_requests(run, selection.shippable);
  const std::vector<bool> shipped = shipped_before(run, selection.shippable);
  selection.carry.resize(selection.shippable.size());
  for (std::size_t i = 0; i < selection.shippable.size(); ++i) {
    selection.carry[i] = should_carry(run, *selection.shippable[i], shipped[i]);
    run.report.files_total += 1;
    run.report.bytes_total += selection.shippable[i]->size;
    if (selection.carry[i]) {
      run.report.files_carried += 1;
      run.report.bytes_carried += selection.shippable[i]->size;
    }
  }
  return selection;
}

// Step 5: one read of each carried file, hashed again while written, so a file that changed since the
// scan is caught rather than shipped with a stale digest; the inventory lists the whole source.
Written write_volumes(ExportRun& run, const Selection& selection) {
  const auto& options = run.options;
  Progress write_progress("writing volumes", run.report.bytes_carried, run.report.files_carried,
                          options.show_progress);
  auto writer = value_or_throw(
      VolumeWriter::create(run.partial_dir, volume_limit(options.volume_size), &write_progress));
  auto inventory =
      value_or_throw(manifest::InventoryWriter::create(run.partial_dir / manifest::kInventoryFileName));
  Written written;
  for (std::size_t i = 0; i < selection.shippable.size(); ++i) {
    const auto& file = *selection.shippable[i];
    std::string sha256_hex = file.sha256_hex();
    if (selection.carry[i]) {
      const fs::path disk_path = selection.listing.disk_path(file);
      auto added = value_or_throw(writer.add_file(file.path, disk_path, file.size));
      if (added.sha256_hex != sha256_hex) {
        fail(ExitCode::kOperational, disk_path.string(), "changed while being exported",
             "let WSUS finish downloading, then run the export again");
      }
    }
    value_or_throw(
        inventory.add({file.path, file.size, std::move(sha256_hex), file.sha1_hex(), selection.carry[i]}));
  }
  written.volumes = value_or_throw(writer.finish());
  write_progress.finish();
  written.inventory = value_or_throw(inventory.finish());
  for (const auto& volume : written.volumes) run.report.volumes.push_back(volume.name);
  return written;
}

// Step 6: the manifest pins everything above; it is signed, and written last. Returns its bytes.
std::string sign_manifest(ExportRun& run, const std::optional<PinnedFile>& metadata,
                          const std::optional<PinnedFile>& approvals, const Written& written) {
  manifest::TransferManifest m;
  m.source_id = run.ledger.ledger_id();
  m.source_host = platform::host_name();
  m.sequence = run.sequence;
  m.previous_manifest_sha256 = run.previous ? run.previous->manifest_sha256 : "";
  m.created_utc = manifest::utc_now();
  if (run.options.expires_in_days) m.expires_utc = utc_in_days(*run.options.expires_in_days);
  m.mode = run.full ? manifest::PackageMode::kFull : manifest::PackageMode::kIncremental;
  m.metadata = metadata;
  m.approvals = approvals;
  m.volumes = written.volumes;
  m.inventory = written.inventory;
  m.tool_version = WSUS_AIRGAP_VERSION;
  std::string bytes = manifest::serialize_manifest(m);
  std::vector<manifest::Signature> signatures;
  for (const auto& key : run.keys) signatures.push_back({key.key_id(), key.sign(bytes)});
  value_or_throw(write_file_atomically(run.partial_dir / manifest::kSignaturesFileName,
                                       manifest::serialize_signatures(signatures)));
  value_or_throw(write_file_atomically(run.partial_dir / manifest::kManifestFileName, bytes));
  run.report.manifest_sha256 = sha256_hex(bytes);
  return bytes;
}

// Step 7: recorded before the folder is named, so a sequence is never made twice
// (finish_recorded_package); the shipped set after the record, so a crash between the two only makes
// the next export carry those files again, never leave them out.
void record_and_publish(ExportRun& run, state::RecordedRun& journal, const Selection& selection) {
  std::string message = "exported " + std::to_string(run.report.files_carried) + " file(s)";
  if (run.exactly_requested) {
    message += " requested by " + run.options.request->filename().string();
  } else if (!run.receipt_note.empty()) {
    message += "; " + run.receipt_note + ", " + std::to_string(run.report.files_resent) + " re-sent";
  }
  journal.count(run.report.files_carried, run.report.bytes_carried);
  journal.finish(state::RunStatus::kSucceeded, run.report.manifest_sha256, message);
  // The carried files, produced one at a time: a first export of 100,000 files holds no second list.
  std::vector<const verify::ContentFile*> carried;
  carried.reserve(run.report.files_carried);
  for (std::size_t i = 0; i < selection.shippable.size(); ++i) {
    if (selection.carry[i]) carried.push_back(selection.shippable[i]);
  }
  value_or_throw(run.ledger.record_shipped(run.sequence, carried.size(), [&carried](std::size_t i) {
    return std::pair(carried[i]->path, carried[i]->sha256_hex());
  }));
  reached_step("recorded");
  boost::system::error_code ec;
  fs::rename(run.partial_dir, run.final_dir, ec);
  if (ec) {
    fail(ExitCode::kOperational, run.partial_dir.string(),
         "package " + std::to_string(run.sequence) +
             " is signed and recorded, but its folder cannot be renamed: " + ec.message(),
         "run the same export again to finish it (it is not made twice), or rename the folder to " +
             run.final_dir.filename().string());
  }
  reached_step("renamed");
}

}  // namespace

std::uint64_t volume_limit(std::uint64_t requested) {
  // FAT32 holds files of at most 4 GiB - 1 byte, and "4G" is what people type for a FAT32 stick.
  constexpr std::uint64_t kFat32Limit = (4ULL << 30) - 1;
  if (requested == 0) return std::numeric_limits<std::uint64_t>::max();
  if (requested == kFat32Limit + 1) return kFat32Limit;
  return requested;
}

// The steps of ARCHITECTURE.md's data flow, in order; each returns what the next needs.
ExportReport run_export(const ExportOptions& options) {
  if (options.wsusutil.has_value() == options.metadata.has_value()) {
    fail(ExitCode::kUsage, "export", "give exactly one of --wsusutil and --metadata");
  }
  // Two runs must never interleave their sequences or their package folders.
  auto lock = value_or_throw(lock_for(options.state, ".lock"));
  auto ledger = value_or_throw(state::Ledger::open(options.state));
  ExportRun run{options, ledger};
  run.report.dry_run = options.dry_run;
  prepare(run);
  if (!options.dry_run) open_package_folder(run);
  auto journal = state::RecordedRun::begin(ledger, run_record(run), !options.dry_run);
  try {
    std::optional<PinnedFile> metadata;
    auto approvals = write_approvals(run);
    if (!options.dry_run) {
      metadata = obtain_metadata(run);
      reached_step("metadata-exported");
    }
    auto selection = scan_and_choose(run, metadata);
    if (options.dry_run) return run.report;
    auto written = write_volumes(run, selection);
    reached_step("volumes-written");
    sign_manifest(run, metadata, approvals, written);
    reached_step("signed");
    record_and_publish(run, journal, selection);
    return run.report;
  } catch (const AirgapError& error) {
    if (journal.finished()) throw;  // recorded (or a dry run): the next run finishes the package
    remove_partial(run.partial_dir);
    journal.fail(error.error());
    throw;
  }
}

}  // namespace wsa::exporting
