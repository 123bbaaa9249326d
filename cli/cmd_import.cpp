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
                       const std::string& file) {
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
  struct Args {
    std::vector<std::string> media, trust;
    std::string content, state, wsusutil, receipt_out, receipt_key, request_out, report, approvals,
        powershell;
    std::int64_t threshold = 1;
    std::int64_t max_delete = importing::kDefaultMaxDelete;
    bool no_metadata = false, dry_run = false, json = false, new_baseline = false, new_ledger = false;
    bool mirror = false, purge = false, force_mirror = false, no_media_receipt = false,
         approvals_mirror = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--media", args->media, "Folder holding transfer packages (repeat for several; required)");
  app.add_option("--content", args->content, "WsusContent folder of the offline server");
  app.add_option("--trust", args->trust, "Trusted public key (repeat; required)");
  add_bounded_option(app, "--threshold", args->threshold, 1, kMaxThreshold,
                     "Distinct trusted signatures required (1 to 64; default 1)");
  app.add_option("--state", args->state, "Import ledger (SQLite): what was applied, in which order");
  auto* wsusutil =
      app.add_option("--wsusutil", args->wsusutil, "wsusutil.exe to run for the metadata import");
  auto* no_metadata =
      app.add_flag("--no-metadata-import", args->no_metadata, "Copy content only; skip wsusutil import");
  wsusutil->excludes(no_metadata);
  app.add_flag("--new-baseline", args->new_baseline, "Let a full package restart a source's sequence chain");
  app.add_flag("--new-ledger", args->new_ledger,
               "Start a new ledger (--state missing) even though --content already holds content files");
  app.add_flag("--mirror", args->mirror,
               "Also remove content files the export server no longer has (robocopy /MIR), into a quarantine "
               "folder beside the content folder");
  app.add_flag("--purge", args->purge, "With --mirror: delete removed files instead of quarantining them");
  add_bounded_option(app, "--max-delete", args->max_delete, 0, kMaxDeleteCap,
                     "With --mirror: refuse (exit 7, nothing changed) to remove more than N files (0 to "
                     "10000000; default 500)");
  app.add_flag("--force-mirror", args->force_mirror,
               "With --mirror: accept a package whose inventory is empty or lists under half the files here");
  app.add_option("--receipt-out", args->receipt_out, "Also write the receipt to this file");
  app.add_option("--receipt-key", args->receipt_key, "Sign the receipt with this Ed25519 key (keygen)");
  app.add_option("--request-out", args->request_out, "Write a content request listing the missing files");
  app.add_flag("--no-media-receipt", args->no_media_receipt,
               "Do not write the receipt onto the media (write-protected media; use --receipt-out)");
  app.add_option("--report", args->report,
                 "Write a self-contained HTML report: the gap check and the ledger's package history");
  app.add_option(
         "--approvals", args->approvals,
         "What to do with the approvals a package carries, after wsusutil import: apply (default), plan "
         "(print the changes, make none) or skip")
      ->check(CLI::IsMember({"apply", "plan", "skip"}));
  app.add_flag("--approvals-mirror", args->approvals_mirror,
               "Also remove approvals made on this server that the package does not state (default: kept, "
               "listed as drift)");
  app.add_option("--powershell", args->powershell,
                 "PowerShell to run the approval scripts with instead of Windows PowerShell 5.1 (tests)");
  app.add_flag("--dry-run", args->dry_run, "Verify and list what would change; change nothing");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    require(args->media, "--media", "import");
    require(args->trust, "--trust", "import");
    auto defaults = platform::wsus_defaults();
    importing::ImportOptions options;
    options.media = to_paths(args->media);
    options.content =
        required_path(args->content, defaults.content_dir, "--content", defaults.content_dir_missing);
    options.trust = to_paths(args->trust);
    options.threshold = static_cast<std::size_t>(args->threshold);
    options.state = required_path(args->state, default_state("import-ledger.sqlite"), "--state");
    if (!args->wsusutil.empty())
      options.wsusutil = fs::path(args->wsusutil);
    else if (!args->no_metadata && !defaults.wsusutil && !defaults.wsusutil_missing.empty() && !args->dry_run)
      fail(ExitCode::kUsage, "--wsusutil", "is required here: " + defaults.wsusutil_missing,
           "give --wsusutil PATH, or --no-metadata-import to copy content only");
    else if (!args->no_metadata)
      options.wsusutil = defaults.wsusutil;
    options.no_metadata_import = args->no_metadata;
    options.dry_run = args->dry_run;
    options.new_baseline = args->new_baseline;
    options.new_ledger = args->new_ledger;
    options.mirror = args->mirror;
    options.purge = args->purge;
    options.force_mirror = args->force_mirror;
    options.max_delete = static_cast<std::uint64_t>(args->max_delete);
    if (!args->receipt_out.empty()) options.receipt_out = fs::path(args->receipt_out);
    if (!args->receipt_key.empty()) options.receipt_key = fs::path(args->receipt_key);
    if (!args->request_out.empty()) options.request_out = fs::path(args->request_out);
    options.no_media_receipt = args->no_media_receipt;
    options.approvals = args->approvals == "skip"   ? importing::ApprovalsMode::kSkip
                        : args->approvals == "plan" ? importing::ApprovalsMode::kPlan
                                                    : importing::ApprovalsMode::kApply;
    if (args->approvals_mirror && options.approvals == importing::ApprovalsMode::kSkip)
      fail(ExitCode::kUsage, "--approvals-mirror", "excludes --approvals skip");
    options.approvals_mirror = args->approvals_mirror;
    if (!args->powershell.empty()) options.powershell = fs::path(args->powershell);
    options.show_progress = !args->json && platform::is_terminal(stderr);
    auto report = importing::run_import(options);
    if (!args->report.empty() && !options.dry_run) write_html_report(report, options, args->report);
    print_import(report, args->json);
    return report.exit_code;
  };
}

}  // namespace wsa::cli
