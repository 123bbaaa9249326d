#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "common/platform.h"
#include "export/export_pipeline.h"

namespace wsa::cli {

namespace {
constexpr std::int64_t kMaxExpiryDays = 3650;  // ten years: longer is a typo, not a policy
}  // namespace

Runner define_export(CLI::App& app) {
  struct Args {
    std::string content, media, state, wsusutil, metadata, volume_size, receipt, request, approvals,
        powershell;
    std::vector<std::string> keys, receipt_trust;
    std::int64_t expires_days = 0;
    bool full = false, dry_run = false, json = false, rehash = false, skip_mismatched = false,
         allow_empty = false, require_complete = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--content", args->content, "WsusContent folder of the connected server");
  app.add_option("--media", args->media,
                 "Folder on the removable media that receives the package (required)");
  app.add_option("--key", args->keys, "Signing key made by keygen (repeat for several signers)");
  app.add_option("--state", args->state, "Export ledger (SQLite): sequence numbers, hash cache, history");
  auto* wsusutil =
      app.add_option("--wsusutil", args->wsusutil, "wsusutil.exe to run for the metadata export");
  auto* metadata =
      app.add_option("--metadata", args->metadata, "An existing wsusutil export package instead");
  wsusutil->excludes(metadata);
  app.add_flag("--full", args->full, "Carry every content file, not only what the offline side lacks");
  app.add_option("--volume-size", args->volume_size, "Largest volume file, e.g. 4G (FAT32: 4 GiB - 1 byte)");
  add_bounded_option(app, "--expires-in-days", args->expires_days, 1, kMaxExpiryDays,
                     "Refuse the package on import after this many days (1 to 3650; default: never)");
  app.add_flag("--rehash", args->rehash, "Read every content file, ignoring the hash cache");
  app.add_flag("--skip-mismatched", args->skip_mismatched,
               "Export the rest when some files do not match their names");
  app.add_flag("--allow-empty", args->allow_empty, "Export even when the content folder holds no files");
  app.add_flag("--require-complete", args->require_complete,
               "Refuse (exit 5) when the metadata references content files the source lacks");
  auto* receipt = app.add_option("--receipt", args->receipt,
                                 "Receipt from the offline server's import: also re-send the files it lacks");
  auto* request =
      app.add_option("--request", args->request,
                     "Content request (or receipt) from the offline server: carry exactly those files");
  receipt->excludes(request);
  app.add_option("--receipt-trust", args->receipt_trust,
                 "Public key that must have signed the receipt (repeat for several; default: not checked)");
  app.add_option("--approvals", args->approvals,
                 "read: carry the server's approvals, declines, groups and settings (approvals.json); skip: "
                 "leave them out (default: read on a WSUS server, skip elsewhere)")
      ->check(CLI::IsMember({"read", "skip"}));
  app.add_option("--powershell", args->powershell,
                 "PowerShell to read the approvals with instead of Windows PowerShell 5.1 (tests)");
  app.add_flag("--dry-run", args->dry_run, "Show what would be exported; write nothing");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    auto defaults = platform::wsus_defaults();
    require(args->media, "--media", "export");
    exporting::ExportOptions options;
    options.content =
        required_path(args->content, defaults.content_dir, "--content", defaults.content_dir_missing);
    options.media = args->media;
    options.keys = to_paths(args->keys);
    options.state = required_path(args->state, default_state("export-ledger.sqlite"), "--state");
    if (!args->wsusutil.empty()) options.wsusutil = fs::path(args->wsusutil);
    if (!args->metadata.empty()) options.metadata = fs::path(args->metadata);
    if (!options.wsusutil && !options.metadata) {
      if (!defaults.wsusutil && !defaults.wsusutil_missing.empty()) {
        fail(ExitCode::kUsage, "--wsusutil", "is required here: " + defaults.wsusutil_missing,
             "give --wsusutil PATH, or --metadata FILE for an existing export package");
      }
      options.wsusutil = defaults.wsusutil;
    }
    options.full = args->full;
    options.dry_run = args->dry_run;
    options.rehash = args->rehash;
    options.skip_mismatched = args->skip_mismatched;
    options.allow_empty = args->allow_empty;
    options.require_complete = args->require_complete;
    if (!args->receipt.empty()) options.receipt = fs::path(args->receipt);
    if (!args->request.empty()) options.request = fs::path(args->request);
    options.receipt_trust = to_paths(args->receipt_trust);
    if (!args->volume_size.empty())
      options.volume_size = parse_size_option(args->volume_size, "--volume-size");
    if (args->expires_days > 0) options.expires_in_days = static_cast<std::uint64_t>(args->expires_days);
    // The API is there where WSUS is installed (its registry names wsusutil); elsewhere nothing to read.
    options.read_approvals =
        args->approvals.empty() ? defaults.wsusutil.has_value() : args->approvals == "read";
    if (!args->powershell.empty()) {
      if (!options.read_approvals) fail(ExitCode::kUsage, "--powershell", "needs --approvals read");
      options.powershell = fs::path(args->powershell);
    }
    options.show_progress = !args->json && platform::is_terminal(stderr);
    auto report = exporting::run_export(options);
    print_export(report, args->json);
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
