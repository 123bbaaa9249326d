#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "common/atomic_file.h"
#include "common/platform.h"
#include "common/progress.h"
#include "manifest/receipt.h"
#include "manifest/transfer_manifest.h"
#include "report/html_report.h"
#include "state/ledger.h"
#include "verify/gap_report.h"
#include "wsus/live_server.h"
#include "wsus_airgap_version.h"

namespace wsa::cli {

namespace {

// The gap check's options filled by CLI11 (--verify), and the options this command reads itself: kept
// as the text given, which the JSON and the messages print back.
struct GapsArgs {
  verify::GapOptions options;  // the ledger and the progress are set once the command runs
  std::string content, metadata, state, request_out, report, server_query, powershell;
  bool server = false, json = false;
};

std::string carried_by(const manifest::MissingFile& file) {
  if (!file.carried_by_sequence) return {};
  return manifest::package_folder_name(*file.carried_by_sequence);
}

std::size_t real_updates(const verify::GapReport& report) {
  std::size_t count = 0;
  for (const auto& update : report.updates) count += update.update_id.empty() ? 0 : 1;
  return count;
}

void print_human(const verify::GapReport& report, const fs::path& content, bool ledger_given) {
  const char* checked =
      report.hashes_verified ? "sizes and hashes checked" : "sizes checked; add --verify to hash";
  // Always said first: a verdict means something only beside how much the reader understood.
  std::printf("Read %llu updates and %llu content files from %s.\n",
              static_cast<unsigned long long>(report.updates_read),
              static_cast<unsigned long long>(report.files_checked), report.metadata_package.c_str());
  if (report.complete()) {
    std::printf("No gaps: all %llu content files that %llu updates need are in %s (%s).\n",
                static_cast<unsigned long long>(report.files_checked),
                static_cast<unsigned long long>(report.updates_checked), content.string().c_str(), checked);
    return;
  }
  for (const auto& update : report.updates) {
    std::string kb = update.kb.empty() ? "(no KB)" : "KB" + update.kb;
    std::printf("%-10s %s", kb.c_str(), update.title.empty() ? "(untitled update)" : update.title.c_str());
    if (!update.update_id.empty()) std::printf(" (%s)", update.update_id.c_str());
    std::printf("\n");
    for (const auto& file : update.files) {
      std::printf("  %-16s %s", file.problem.c_str(), file.path.c_str());
      if (!file.name.empty()) std::printf("  %s", file.name.c_str());
      if (auto package = carried_by(file); !package.empty())
        std::printf("  (carried by %s)", package.c_str());
      else if (ledger_given)
        std::printf("  (no package carried it)");
      std::printf("\n");
    }
  }
  std::printf("%llu of %llu content files missing or damaged, needed by %zu of %llu updates (%s).\n",
              static_cast<unsigned long long>(report.files_with_gaps),
              static_cast<unsigned long long>(report.files_checked), real_updates(report),
              static_cast<unsigned long long>(report.updates_checked), checked);
  std::printf(
      "Next: copy these files into %s from the connected server (give --request-out FILE to ask its "
      "'export --request' for exactly them), then run 'wsus-airgap gaps' again.\n",
      content.string().c_str());
}

void print_json(const verify::GapReport& report, const fs::path& content, const GapsArgs& args) {
  using nlohmann::json;
  json updates = json::array();
  for (const auto& update : report.updates) {
    json files = json::array();
    for (const auto& file : update.files) {
      files.push_back({{"path", file.path},
                       {"name", file.name},
                       {"problem", file.problem},
                       {"expected_size", file.expected_size ? json(*file.expected_size) : json(nullptr)},
                       {"carried_by_sequence",
                        file.carried_by_sequence ? json(*file.carried_by_sequence) : json(nullptr)}});
    }
    updates.push_back({{"update_id", update.update_id},
                       {"revision", update.revision},
                       {"title", update.title},
                       {"kb", update.kb},
                       {"classification", update.classification},
                       {"files", std::move(files)}});
  }
  json document = {{"command", "gaps"},
                   {"complete", report.complete()},
                   {"source", args.server ? "server" : "metadata"},
                   {"metadata_package", report.metadata_package},
                   {"content", content.string()},
                   {"hashes_verified", report.hashes_verified},
                   {"updates_read", report.updates_read},
                   {"updates_checked", report.updates_checked},
                   {"files_checked", report.files_checked},
                   {"files_with_gaps", report.files_with_gaps},
                   {"updates_with_gaps", real_updates(report)},
                   {"updates", std::move(updates)},
                   {"request_out", args.request_out.empty() ? json(nullptr) : json(args.request_out)},
                   {"report", args.report.empty() ? json(nullptr) : json(args.report)}};
  std::printf("%s\n", document.dump(2).c_str());
}

// The live server names updates it already marks Failed; their files are checked on disk like a
// package's, so a file copied in since is not reported again.
verify::GapReport query_server(const GapsArgs& args, const fs::path& content,
                               const verify::GapOptions& options) {
  auto query = !args.server_query.empty() ? wsus::make_program_query(args.server_query)
               : args.powershell.empty()  ? wsus::make_powershell_query()
                                          : wsus::make_powershell_query(fs::path(args.powershell));
  auto failed = value_or_throw(query->failed_updates());
  std::vector<wsus::PackageUpdate> updates;
  std::vector<wsus::PackageFile> files;
  for (auto& entry : failed) {
    updates.push_back(std::move(entry.update));
    for (auto& file : entry.files) files.push_back(std::move(file));
  }
  std::string source = args.server_query.empty()
                           ? "WSUS server " + platform::host_name() + " (IUpdate.State = Failed)"
                           : "server query " + args.server_query;
  return value_or_throw(verify::check_updates(content, updates, files, source, options));
}

}  // namespace

Runner define_gaps(CLI::App& app) {
  auto args = std::make_shared<GapsArgs>();
  app.add_option("--content", args->content, "WsusContent folder to check");
  app.add_option("--metadata", args->metadata,
                 "wsusutil export package (.xml.gz or .cab) that lists the expected files");
  app.add_flag(
      "--server", args->server,
      "Ask the running WSUS server (Windows) which updates failed to download, instead of --metadata");
  app.add_option("--server-query", args->server_query,
                 "Program printing the server's failed updates as JSON (tests)")
      ->group("");
  app.add_option("--powershell", args->powershell,
                 "PowerShell to run the server query with instead of Windows PowerShell 5.1 (tests)")
      ->group("");
  app.add_flag("--verify", args->options.verify_hashes,
               "Hash every referenced file (SHA-1 name and SHA-256), not only sizes");
  app.add_option("--state", args->state,
                 "Ledger (SQLite) that names the package that carried each missing file");
  app.add_option("--request-out", args->request_out, "Write a content request for the missing files");
  app.add_option("--report", args->report, "Write a self-contained HTML report");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() -> ExitCode {
    if (args->server == !args->metadata.empty()) {
      fail(ExitCode::kUsage, "--metadata", args->server ? "and --server exclude each other" : "is required",
           "give --metadata FILE (a wsusutil export package), or --server on the WSUS server");
    }
    if (!args->server_query.empty() && !args->server) {
      fail(ExitCode::kUsage, "--server-query", "needs --server", "add --server");
    }
    if (!args->powershell.empty() && (!args->server || !args->server_query.empty())) {
      fail(ExitCode::kUsage, "--powershell", "needs --server and excludes --server-query", "add --server");
    }
    fs::path content = required_path(args->content, platform::wsus_defaults().content_dir, "--content");

    // The ledger is only read: a mistyped --state must not create an empty one.
    std::optional<state::Ledger> ledger;
    if (!args->state.empty()) {
      boost::system::error_code ec;
      if (!fs::exists(args->state, ec)) {
        fail(ExitCode::kOperational, args->state, "does not exist",
             "give the --state file that import or export used");
      }
      ledger.emplace(value_or_throw(state::Ledger::open(args->state, state::LedgerAccess::kReadOnly)));
    }

    Progress progress("checking content", 0, 0, !args->json && platform::is_terminal(stderr));
    auto& options = args->options;
    options.ledger = ledger ? &*ledger : nullptr;
    options.progress = &progress;
    verify::GapReport report = args->server
                                   ? query_server(*args, content, options)
                                   : value_or_throw(verify::find_gaps(content, args->metadata, options));
    progress.finish();

    if (!args->request_out.empty()) {
      auto request = manifest::make_content_request(report.missing_files(), {}, manifest::utc_now());
      value_or_throw(manifest::write_request(args->request_out, request));
    }
    if (!args->report.empty()) {
      auto context = report_context(content, args->state);
      std::vector<state::RunRecord> history;
      if (ledger) history = value_or_throw(ledger->history());
      value_or_throw(
          write_file_atomically(args->report, report::render_gap_report_html(&report, history, context)));
    }
    if (args->json)
      print_json(report, content, *args);
    else
      print_human(report, content, ledger.has_value());
    return report.complete() ? ExitCode::kSuccess : ExitCode::kGaps;
  };
}

}  // namespace wsa::cli
