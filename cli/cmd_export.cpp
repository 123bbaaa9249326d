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
  // CLI11 fills the pipeline's options; only what the pipeline does not see, or sees converted, lives
  // beside them.
  struct Command {
    exporting::ExportOptions options;
    std::string volume_size;  // "4G": read once the command runs, so its error comes after --media's
    std::string approvals;    // "read" or "skip"; empty: read where WSUS is installed
    bool json = false;
  };
  auto command = std::make_shared<Command>();
  auto& given = command->options;  // what the command line says; the runner adds the defaults
  add_path_option(app, "--content", given.content, "WsusContent folder of the connected server");
  add_path_option(app, "--media", given.media,
                  "Folder on the removable media that receives the package (required)");
  add_path_option(app, "--key", given.keys, "Signing key made by keygen (repeat for several signers)");
  add_path_option(app, "--state", given.state,
                  "Export ledger (SQLite): sequence numbers, hash cache, history");
  auto* wsusutil =
      add_path_option(app, "--wsusutil", given.wsusutil, "wsusutil.exe to run for the metadata export");
  auto* metadata =
      add_path_option(app, "--metadata", given.metadata, "An existing wsusutil export package instead");
  wsusutil->excludes(metadata);
  app.add_flag("--full", given.full, "Carry every content file, not only what the offline side lacks");
  app.add_option("--volume-size", command->volume_size,
                 "Largest volume file, e.g. 4G (FAT32: 4 GiB - 1 byte)");
  add_bounded_option(app, "--expires-in-days", given.expires_in_days, 1, kMaxExpiryDays,
                     "Refuse the package on import after this many days (1 to 3650; default: never)");
  app.add_flag("--rehash", given.rehash, "Read every content file, ignoring the hash cache");
  app.add_flag("--skip-mismatched", given.skip_mismatched,
               "Export the rest when some files do not match their names");
  app.add_flag("--allow-empty", given.allow_empty, "Export even when the content folder holds no files");
  app.add_flag("--require-complete", given.require_complete,
               "Refuse (exit 5) when the metadata references content files the source lacks");
  auto* receipt =
      add_path_option(app, "--receipt", given.receipt,
                      "Receipt from the offline server's import: also re-send the files it lacks");
  auto* request =
      add_path_option(app, "--request", given.request,
                      "Content request (or receipt) from the offline server: carry exactly those files");
  receipt->excludes(request);
  add_path_option(app, "--receipt-trust", given.receipt_trust,
                  "Public key that must have signed the receipt (repeat for several; default: not checked)");
  app.add_option("--approvals", command->approvals,
                 "read: carry the server's approvals, declines, groups and settings (approvals.json); skip: "
                 "leave them out (default: read on a WSUS server, skip elsewhere)")
      ->check(CLI::IsMember({"read", "skip"}));
  add_path_option(app, "--powershell", given.powershell,
                  "PowerShell to read the approvals with instead of Windows PowerShell 5.1 (tests)");
  app.add_flag("--dry-run", given.dry_run, "Show what would be exported; write nothing");
  app.add_flag("--json", command->json, "Print the result as JSON");
  return [command]() {
    auto& options = command->options;
    // Defaults are the platform's, known only once the command runs.
    auto defaults = platform::wsus_defaults();
    require(options.media, "--media", "export");
    options.content =
        required_path(options.content, defaults.content_dir, "--content", defaults.content_dir_missing);
    options.state = required_path(options.state, default_state("export-ledger.sqlite"), "--state");
    if (!options.wsusutil && !options.metadata) {
      if (!defaults.wsusutil && !defaults.wsusutil_missing.empty()) {
        fail(ExitCode::kUsage, "--wsusutil", "is required here: " + defaults.wsusutil_missing,
             "give --wsusutil PATH, or --metadata FILE for an existing export package");
      }
      options.wsusutil = defaults.wsusutil;
    }
    if (!command->volume_size.empty())
      options.volume_size = parse_size_option(command->volume_size, "--volume-size");
    // The API is there where WSUS is installed (its registry names wsusutil); elsewhere nothing to read.
    options.read_approvals =
        command->approvals.empty() ? defaults.wsusutil.has_value() : command->approvals == "read";
    if (options.powershell && !options.read_approvals)
      fail(ExitCode::kUsage, "--powershell", "needs --approvals read");
    options.show_progress = !command->json && platform::is_terminal(stderr);
    auto report = exporting::run_export(options);
    print_export(report, command->json);
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
