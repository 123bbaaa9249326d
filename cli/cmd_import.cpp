#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "common/platform.h"
#include "import/import_pipeline.h"

namespace wsa::cli {

Runner define_import(CLI::App& app) {
  struct Args {
    std::vector<std::string> media, trust;
    std::string content, state, wsusutil;
    std::size_t threshold = 1;
    bool no_metadata = false, dry_run = false, json = false, new_baseline = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--media", args->media, "Folder holding transfer packages (repeat for several; required)");
  app.add_option("--content", args->content, "WsusContent folder of the offline server");
  app.add_option("--trust", args->trust, "Trusted public key (repeat; required)");
  app.add_option("--threshold", args->threshold, "Distinct trusted signatures required (default 1)");
  app.add_option("--state", args->state, "Import ledger (SQLite): what was applied, in which order");
  auto* wsusutil = app.add_option("--wsusutil", args->wsusutil, "wsusutil.exe to run for the metadata import");
  auto* no_metadata = app.add_flag("--no-metadata-import", args->no_metadata, "Copy content only; skip wsusutil import");
  wsusutil->excludes(no_metadata);
  app.add_flag("--new-baseline", args->new_baseline, "Let a full package restart a source's sequence chain");
  app.add_flag("--dry-run", args->dry_run, "Verify and list what would change; change nothing");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    require(args->media, "--media", "import");
    require(args->trust, "--trust", "import");
    auto defaults = platform::wsus_defaults();
    importing::ImportOptions options;
    options.media = to_paths(args->media);
    options.content = required_path(args->content, defaults.content_dir, "--content");
    options.trust = to_paths(args->trust);
    options.threshold = args->threshold;
    options.state = required_path(args->state, default_state("import-ledger.sqlite"), "--state");
    if (!args->wsusutil.empty()) options.wsusutil = fs::path(args->wsusutil);
    else if (!args->no_metadata) options.wsusutil = defaults.wsusutil;
    options.no_metadata_import = args->no_metadata;
    options.dry_run = args->dry_run;
    options.new_baseline = args->new_baseline;
    options.show_progress = !args->json && platform::is_terminal(stderr);
    auto report = importing::run_import(options);
    print_import(report, args->json);
    return report.exit_code;
  };
}

}  // namespace wsa::cli
