#include "export/export_pipeline.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <ctime>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/progress.h"
#include "export/volume_writer.h"
#include "manifest/inventory.h"
#include "manifest/keys.h"
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

// FAT32 holds files of at most 4 GiB - 1 byte; "--volume-size 4G" means "fits FAT32".
constexpr std::uint64_t kFat32Limit = (4ULL << 30) - 1;

struct ExportRun {
  const ExportOptions& options;
  state::Ledger& ledger;
  std::vector<manifest::SigningKey> keys;
  std::uint64_t sequence = 0;
  std::optional<state::RunRecord> previous;
  fs::path partial_dir;  // wsus-airgap-NNNNNN.partial while being written
  fs::path final_dir;
  ExportReport report;
};

std::vector<manifest::SigningKey> load_keys(const ExportOptions& options) {
  if (options.keys.empty()) {
    fail(ExitCode::kUsage, "export", "no signing key given", "create one with 'wsus-airgap keygen --out NAME' and pass --key NAME.key");
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
    if (options.metadata->filename().string().ends_with(".xml.gz")) target = run.partial_dir / "metadata.xml.gz";
    boost::system::error_code ec;
    fs::copy_file(*options.metadata, target, fs::copy_options::none, ec);
    if (ec) fail(ExitCode::kOperational, options.metadata->string(), "cannot copy into the package: " + ec.message());
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

// The offline side lacks what was never shipped (or was shipped with other bytes). --full ships all.
bool should_carry(ExportRun& run, const verify::ContentFile& file) {
  if (run.report.mode == "full") return true;
  return !value_or_throw(run.ledger.was_shipped(file.path, file.digests.sha256_hex));
}

void refuse_unusable_source(const ExportOptions& options, const verify::ContentListing& listing) {
  if (listing.files.empty() && !options.allow_empty) {
    fail(ExitCode::kOperational, options.content.string(), "holds no WsusContent files",
         "check that --content names the WsusContent folder (an empty source would make a mirror import wipe "
         "the offline store); pass --allow-empty if it really is empty");
  }
}

std::string utc_in_days(std::uint64_t days) {
  std::time_t later = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm parts{};
#ifdef _WIN32
  gmtime_s(&parts, &later);
#else
  gmtime_r(&later, &parts);
#endif
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

void remove_partial(const fs::path& dir) {
  boost::system::error_code ignored;
  if (!dir.empty()) fs::remove_all(dir, ignored);
}

}  // namespace

ExportReport run_export(const ExportOptions& options) {
  if (options.wsusutil.has_value() == options.metadata.has_value()) {
    fail(ExitCode::kUsage, "export", "give exactly one of --wsusutil and --metadata");
  }
  // Two runs must never interleave their sequences or their package folders.
  auto lock = value_or_throw(platform::ExclusiveLock::try_acquire(fs::path(options.state.string() + ".lock")));
  auto ledger = value_or_throw(state::Ledger::open(options.state));
  ExportRun run{options, ledger, {}, 0, std::nullopt, {}, {}, {}};
  run.report.dry_run = options.dry_run;

  // Keys first: a missing key must not cost an hour of wsusutil.
  if (!options.dry_run) run.keys = load_keys(options);
  for (const auto& key : run.keys) run.report.key_ids.push_back(key.key_id());

  run.previous = value_or_throw(ledger.last_successful_export());
  run.sequence = run.previous ? run.previous->sequence + 1 : 1;
  // The first package carries everything, so it is a full one whatever was asked.
  const bool full = options.full || !run.previous;
  run.report.mode = full ? "full" : "incremental";
  run.report.sequence = run.sequence;
  run.final_dir = options.media / manifest::package_folder_name(run.sequence);
  run.partial_dir = fs::path(run.final_dir.string() + ".partial");
  run.report.package_dir = run.final_dir;

  boost::system::error_code ec;
  if (!options.dry_run) {
    if (fs::exists(run.final_dir, ec)) {
      fail(ExitCode::kOperational, run.final_dir.string(), "already exists on the media",
           "the ledger and the media disagree: move that folder away (or use the ledger that made it)");
    }
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

  try {
    std::optional<PinnedFile> metadata;
    if (!options.dry_run) metadata = obtain_metadata(run);

    // Read the store; the hash cache makes an unchanged tree cost a directory walk.
    Progress scan_progress("hashing", 0, 0, options.show_progress);
    verify::ScanOptions scan_options;
    scan_options.rehash = options.rehash;
    scan_options.progress = &scan_progress;
    auto listing = value_or_throw(verify::scan_content_store(options.content, &ledger, scan_options));
    scan_progress.finish();
    refuse_unusable_source(options, listing);
    run.report.files_hashed = listing.hashed_files;
    run.report.files_from_cache = listing.cached_files;
    for (const auto& foreign : listing.foreign_files) {
      run.report.warnings.push_back(foreign.string() + " is not a WsusContent file name; left out");
    }

    // A file whose bytes do not match its SHA-1 name would be refused by WSUS clients; never ship it.
    std::vector<const verify::ContentFile*> shippable;
    for (const auto& file : listing.files) {
      if (file.name_matches()) shippable.push_back(&file);
      else run.report.mismatched.push_back(file.path);
    }
    if (!run.report.mismatched.empty() && !options.skip_mismatched) {
      std::string list;
      for (std::size_t i = 0; i < std::min<std::size_t>(run.report.mismatched.size(), 10); ++i) {
        list += "\n    " + run.report.mismatched[i];
      }
      fail(ExitCode::kIntegrity, options.content.string(),
           std::to_string(run.report.mismatched.size()) + " file(s) do not match their SHA-1 names:" + list,
           "WSUS re-downloads such files on the connected server (run 'wsusutil reset'); or pass --skip-mismatched "
           "to export the rest now");
    }

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
    std::uint64_t volume_size = options.volume_size == 0 ? std::numeric_limits<std::uint64_t>::max()
                                                         : options.volume_size;
    if (volume_size == (4ULL << 30)) volume_size = kFat32Limit;
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
      value_or_throw(inventory.add({file.path, file.size, file.digests.sha256_hex, file.digests.sha1_hex, carry[i]}));
    }
    auto volumes = value_or_throw(writer.finish());
    write_progress.finish();
    auto inventory_summary = value_or_throw(inventory.finish());

    // The manifest pins everything above; it is signed, and written last.
    manifest::TransferManifest m;
    m.source_id = ledger.ledger_id();
    m.source_host = platform::host_name();
    m.sequence = run.sequence;
    m.previous_manifest_sha256 = run.previous ? run.previous->manifest_sha256 : "";
    m.created_utc = manifest::utc_now();
    if (options.expires_in_days) m.expires_utc = utc_in_days(*options.expires_in_days);
    m.mode = full ? manifest::PackageMode::kFull : manifest::PackageMode::kIncremental;
    m.metadata = metadata;
    m.volumes = volumes;
    m.inventory = inventory_summary;
    m.tool_version = WSUS_AIRGAP_VERSION;
    std::string manifest_bytes = manifest::serialize_manifest(m);
    std::vector<manifest::Signature> signatures;
    for (const auto& key : run.keys) signatures.push_back({key.key_id(), key.sign(manifest_bytes)});
    value_or_throw(write_file_atomically(run.partial_dir / "signatures.json", manifest::serialize_signatures(signatures)));
    value_or_throw(write_file_atomically(run.partial_dir / "manifest.json", manifest_bytes));
    fs::rename(run.partial_dir, run.final_dir, ec);
    if (ec) fail(ExitCode::kOperational, run.final_dir.string(), "cannot finish the package folder: " + ec.message());

    run.report.manifest_sha256 = sha256_hex(manifest_bytes);
    for (const auto& volume : volumes) run.report.volumes.push_back(volume.name);
    value_or_throw(ledger.record_shipped(run.sequence, shipped));
    value_or_throw(ledger.finish_run(run_id, state::RunStatus::kSucceeded, run.report.manifest_sha256,
                                     "exported " + std::to_string(run.report.files_carried) + " file(s)",
                                     run.report.files_carried, run.report.bytes_carried));
    return run.report;
  } catch (const AirgapError& error) {
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
