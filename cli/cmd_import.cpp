#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "common/atomic_file.h"
#include "common/platform.h"
#include "import/import_pipeline.h"
#include "report/html_report.h"
#include "state/ledger.h"

namespace wsa::cli {

namespace {

// The auditor's page for this import: what the metadata needs and is missing, and every run so far.
void write_html_report(const importing::ImportReport& report, const importing::ImportOptions& options,
                       const fs::path& file) {
  auto ledger = value_or_throw(state::Ledger::open(options.state, state::LedgerAccess::kReadOnly));
  auto history = value_or_throw(ledger.history());
  auto context = report_context(options.content, options.state.string());
  context.title = "wsus-airgap import report";
  std::optional<report::ApprovalsSection> approvals;
  if (const auto& a = report.approvals) {
    approvals = report::ApprovalsSection{
        a->package,        a->applying,        a->approvals,
        a->declines,       a->groups,          a->unchanged,
        a->applied,        a->not_applied,     a->planned,
        a->groups_created, a->missing_updates, a->eula_gaps,
        a->drift,          a->failure,         value_or_throw(ledger.approval_history())};
  }
  value_or_throw(write_file_atomically(
      file, report::render_gap_report_html(report.gaps ? &*report.gaps : nullptr, history, context,
                                           approvals ? &*approvals : nullptr)));
}

}  // namespace

Runner define_import(CLI::App& app) {
  // CLI11 fills the pipeline's options; only what the pipeline does not see lives beside them.
  struct Command {
    importing::ImportOptions options;
    fs::path report;
    std::string approvals = "apply";  // apply, plan or skip
    bool json = false;
  };
  auto command = std::make_shared<Command>();
  auto& given = command->options;  // what the command line says; the runner adds the defaults
  add_path_option(app, "--media", given.media,
                  "Folder holding transfer packages (repeat for several; required)");
  add_path_option(app, "--content", given.content, "WsusContent folder of the offline server");
  add_path_option(app, "--trust", given.trust, "Trusted public key (repeat; required)");
  add_bounded_option(app, "--threshold", given.threshold, 1, kMaxThreshold,
                     "Distinct trusted signatures required (1 to 64; default 1)");
  add_path_option(app, "--state", given.state, "Import ledger (SQLite): what was applied, in which order");
  auto* wsusutil =
      add_path_option(app, "--wsusutil", given.wsusutil, "wsusutil.exe to run for the metadata import");
  auto* no_metadata = app.add_flag("--no-metadata-import", given.no_metadata_import,
                                   "Copy content only; skip wsusutil import");
  wsusutil->excludes(no_metadata);
  app.add_flag("--new-baseline", given.new_baseline, "Let a full package restart a source's sequence chain");
  app.add_flag("--new-ledger", given.new_ledger,
               "Start a new ledger (--state missing) even though --content already holds content files");
  app.add_flag("--mirror", given.mirror,
               "Also remove content files the export server no longer has (robocopy /MIR), into a quarantine "
               "folder beside the content folder");
  app.add_flag("--purge", given.purge, "With --mirror: delete removed files instead of quarantining them");
  add_bounded_option(app, "--max-delete", given.max_delete, 0, kMaxDeleteCap,
                     "With --mirror: refuse (exit 7, nothing changed) to remove more than N files (0 to "
                     "10000000; default 500)");
  app.add_flag("--force-mirror", given.force_mirror,
               "With --mirror: accept a package whose inventory is empty or lists under half the files here");
  add_path_option(app, "--receipt-out", given.receipt_out, "Also write the receipt to this file");
  add_path_option(app, "--receipt-key", given.receipt_key, "Sign the receipt with this Ed25519 key (keygen)");
  add_path_option(app, "--request-out", given.request_out,
                  "Write a content request listing the missing files");
  app.add_flag("--no-media-receipt", given.no_media_receipt,
               "Do not write the receipt onto the media (write-protected media; use --receipt-out)");
  add_path_option(app, "--report", command->report,
                  "Write a self-contained HTML report: the gap check and the ledger's package history");
  app.add_option(
         "--approvals", command->approvals,
         "What to do with the approvals a package carries, after wsusutil import: apply (default), plan "
         "(print the changes, make none) or skip")
      ->check(CLI::IsMember({"apply", "plan", "skip"}));
  app.add_flag("--approvals-mirror", given.approvals_mirror,
               "Also remove approvals made on this server that the package does not state (default: kept, "
               "listed as drift)");
  add_path_option(app, "--powershell", given.powershell,
                  "PowerShell to run the approval scripts with instead of Windows PowerShell 5.1 (tests)");
  app.add_flag("--dry-run", given.dry_run, "Verify and list what would change; change nothing");
  app.add_flag("--json", command->json, "Print the result as JSON");
  return [command]() {
    auto& options = command->options;
    require(options.media, "--media", "import");
    require(options.trust, "--trust", "import");
    // Defaults are the platform's, known only once the command runs.
    auto defaults = platform::wsus_defaults();
    options.content =
        required_path(options.content, defaults.content_dir, "--content", defaults.content_dir_missing);
    options.state = required_path(options.state, default_state("import-ledger.sqlite"), "--state");
    if (!options.wsusutil && !options.no_metadata_import) {
      if (!defaults.wsusutil && !defaults.wsusutil_missing.empty() && !options.dry_run) {
        fail(ExitCode::kUsage, "--wsusutil", "is required here: " + defaults.wsusutil_missing,
             "give --wsusutil PATH, or --no-metadata-import to copy content only");
      }
      options.wsusutil = defaults.wsusutil;
    }
    options.approvals = command->approvals == "skip"   ? importing::ApprovalsMode::kSkip
                        : command->approvals == "plan" ? importing::ApprovalsMode::kPlan
                                                       : importing::ApprovalsMode::kApply;
    if (options.approvals_mirror && options.approvals == importing::ApprovalsMode::kSkip)
      fail(ExitCode::kUsage, "--approvals-mirror", "excludes --approvals skip");
    options.show_progress = !command->json && platform::is_terminal(stderr);
    auto report = importing::run_import(options);
    if (!command->report.empty() && !options.dry_run) write_html_report(report, options, command->report);
    print_import(report, command->json);
    return report.exit_code;
  };
}

}  // namespace wsa::cli
