// wsusutil-sim: plays `wsusutil export` / `wsusutil import` for tests and generates WsusContent trees.
// The table of subcommands lives here; each one is a function in its own file.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

#include "common/encoding.h"
#include "common/platform.h"
#include "tests/sim/content_generator.h"
#include "tests/sim/wsusutil_commands.h"

namespace {

using namespace wsa::sim;

const char* const kFailureModes[] = {"", "none", "exit", "zero-byte", "truncated", "corrupt"};

struct RunSettings {
  std::string fail;
  long long delay_ms = 0;
  std::string log_encoding = "utf-8";
};

// The settings wsus-airgap passes through the environment; an option given on the command line wins.
void add_run_settings(CLI::App& command, RunSettings& settings) {
  command.add_option("--fail", settings.fail, "Fail on purpose: exit, zero-byte, truncated or corrupt")
      ->envname("WSUSUTIL_SIM_FAIL")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kFailureModes), std::end(kFailureModes))));
  command.add_option("--delay-ms", settings.delay_ms, "Wait this long before finishing (a slow run)")
      ->envname("WSUSUTIL_SIM_DELAY_MS")
      ->check(CLI::Range(0LL, 24LL * 3600 * 1000));
  command
      .add_option("--log-encoding", settings.log_encoding, "The log's encoding: utf-8 (default) or utf-16")
      ->envname("WSUSUTIL_SIM_LOG_ENCODING")
      ->check(CLI::IsMember({"utf-8", "utf-16"}));
}

int report(const wsa::Error& error) {
  std::fprintf(stderr, "wsusutil-sim: error: %s\n", error.message().c_str());
  return error.code == wsa::ExitCode::kUsage ? 2 : 1;
}

}  // namespace

int main(int raw_argc, char** raw_argv) {
  // UTF-8 arguments and paths on Windows too (see platform::utf8_arguments).
  std::vector<std::string> arguments = wsa::platform::utf8_arguments(raw_argc, raw_argv);
  std::vector<char*> pointers;
  for (auto& argument : arguments) pointers.push_back(argument.data());
  pointers.push_back(nullptr);
  const int argc = static_cast<int>(arguments.size());
  char** argv = pointers.data();
  CLI::App app{"wsusutil-sim: the wsusutil export/import simulator and WsusContent generator for tests"};
  app.require_subcommand(1);

  ExportRequest export_request;
  RunSettings export_settings;
  std::string cab_compression = "mszip";
  auto* export_command =
      app.add_subcommand("export", "Write an export package from the catalog, like wsusutil");
  export_command->add_option("package", export_request.package, "Package to write (.cab or .xml.gz)")
      ->required();
  export_command->add_option("logfile", export_request.log, "Log file to write")->required();
  export_command->add_option("--catalog", export_request.catalog, "Update catalog (JSON)")
      ->envname("WSUSUTIL_SIM_CATALOG");
  export_command->add_option("--cab-compression", cab_compression, "CAB compression: mszip (default) or none")
      ->check(CLI::IsMember({"mszip", "none"}));
  add_run_settings(*export_command, export_settings);

  ImportRequest import_request;
  RunSettings import_settings;
  auto* import_command = app.add_subcommand("import", "Validate an export package and record its updates");
  import_command->add_option("package", import_request.package, "Package to import (CAB or gzip)")
      ->required();
  import_command->add_option("logfile", import_request.log, "Log file to write")->required();
  import_command->add_option("--state", import_request.state, "State file of imported updates (JSON)")
      ->envname("WSUSUTIL_SIM_STATE");
  add_run_settings(*import_command, import_settings);

  GenerateOptions generate;
  std::string max_size = "8M";
  std::size_t files = 0;
  generate.jobs = std::max(1U, std::thread::hardware_concurrency());
  auto* generate_command = app.add_subcommand("generate", "Generate a WsusContent tree and its catalog");
  generate_command->add_option("--catalog", generate.catalog, "Catalog JSON to write")->required();
  generate_command->add_option("--content", generate.content, "WsusContent folder to fill")->required();
  generate_command->add_option("--seed", generate.seed, "Seed: the same seed gives the same tree")
      ->required();
  generate_command->add_option("--updates", generate.updates, "Number of updates (default 20)");
  auto* files_option = generate_command->add_option(
      "--files", files, "Number of distinct content files (default 1.5 x updates)");
  generate_command->add_option("--max-size", max_size, "Largest file size, e.g. 8M (default), 500M");
  generate_command->add_option("--corrupt", generate.corrupt, "Catalog files to corrupt (one byte flipped)");
  generate_command->add_option("--missing", generate.missing, "Catalog files not to write");
  generate_command->add_option("--extra", generate.extra, "Files to add that no catalog entry names");
  generate_command->add_option("--jobs", generate.jobs, "Parallel writers (default: all cores)")
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (export_command->parsed()) {
    export_request.failure = parse_failure_mode(export_settings.fail).value_or(FailureMode::kNone);
    export_request.delay = std::chrono::milliseconds(export_settings.delay_ms);
    export_request.cab_compression =
        cab_compression == "none" ? CabCompression::kNone : CabCompression::kMszip;
    export_request.utf16_log = export_settings.log_encoding == "utf-16";
    return run_export(export_request);
  }
  if (import_command->parsed()) {
    import_request.failure = parse_failure_mode(import_settings.fail).value_or(FailureMode::kNone);
    import_request.delay = std::chrono::milliseconds(import_settings.delay_ms);
    import_request.utf16_log = import_settings.log_encoding == "utf-16";
    return run_import(import_request);
  }
  auto size = wsa::parse_byte_size(max_size);
  if (!size)
    return report({wsa::ExitCode::kUsage, "--max-size " + max_size, "is not a size such as 8M or 500M", ""});
  generate.max_size = *size;
  if (files_option->count() > 0) generate.files = files;
  auto summary = generate_content(generate);
  if (!summary) return report(summary.error());
  std::cout << summary_to_json(*summary, generate);
  return 0;
}
