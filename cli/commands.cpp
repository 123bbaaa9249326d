#include "cli/commands.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_support.h"
#include "cli/output.h"
#include "common/platform.h"
#include "wsus_airgap_version.h"

namespace wsa::cli {

namespace {

const std::vector<Command>& table() {
  static const std::vector<Command> commands = {
      {"keygen", "Create an Ed25519 signing key pair", define_keygen},
      {"export", "Connected side: build a signed transfer package on the media", define_export},
      {"verify", "Check every package on the media; change nothing", define_verify},
      {"import", "Offline side: apply packages in order, content first, metadata last", define_import},
      {"gaps", "List updates whose content files are missing or damaged", define_gaps},
      {"status", "Show what was exported or imported, when, and how it ended", define_status},
  };
  return commands;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown command 'exprot'" gets "did you mean 'export'?" like git does.
std::string suggestion_for(const std::string& word) {
  for (const auto& command : table()) {
    if (edit_distance(word, command.name) <= 2) return std::string(" (did you mean '") + command.name + "'?)";
  }
  return {};
}

int usage_error(const std::string& text, const std::string& help_command) {
  std::fprintf(stderr, "wsus-airgap: %s\nRun '%s --help' for usage.\n", text.c_str(), help_command.c_str());
  return static_cast<int>(ExitCode::kUsage);
}

// A path Windows would store under another name than the one given (trailing dot or space), or not as
// a file at all (CON, NUL, COM1, "file:stream"), is refused before anything is read or written.
std::optional<int> refuse_unsafe_paths(int argc, char** argv) {
  static const std::vector<std::string> path_options = {
      "--content", "--key",         "--media",       "--metadata",      "--out",
      "--receipt", "--receipt-key", "--receipt-out", "--receipt-trust", "--report",
      "--request", "--request-out", "--state",       "--trust",         "--wsusutil"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string option = arg.substr(0, arg.find('='));
    if (std::find(path_options.begin(), path_options.end(), option) == path_options.end()) continue;
    std::string value =
        option.size() < arg.size() ? arg.substr(option.size() + 1) : (i + 1 < argc ? argv[++i] : "");
    if (auto why = platform::unsafe_path_reason(value)) {
      print_error(Error{ExitCode::kUsage, option, "'" + value + "' " + *why,
                        "give a path whose every name Windows stores as written"});
      return static_cast<int>(ExitCode::kUsage);
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const Command> command_table() {
  return table();
}

int run_main(int argc, char** argv) {
  CLI::App app{"wsus-airgap: signed, verified, ordered WSUS transfers across an air gap", "wsus-airgap"};
  app.set_version_flag("--version", std::string("wsus-airgap ") + WSUS_AIRGAP_VERSION);
  app.require_subcommand(0, 1);
  app.footer("Run 'wsus-airgap <command> --help' for a command's options. Exit codes: see README.md.");

  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& command : table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    runners.emplace_back(sub, command.define(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::printf("wsus-airgap %s\n", WSUS_AIRGAP_VERSION);
    return 0;
  } catch (const CLI::ParseError& error) {
    // Help for a subcommand is printed by CLI11's own formatter through app.exit().
    if (error.get_exit_code() == 0) return app.exit(error);
    const auto parsed = app.get_subcommands();
    if (parsed.empty() && dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr && argc > 1 &&
        argv[1][0] != '-') {
      std::string word = argv[1];
      return usage_error("unknown command '" + word + "'" + suggestion_for(word), "wsus-airgap");
    }
    std::string where = parsed.empty() ? "wsus-airgap" : "wsus-airgap " + parsed.front()->get_name();
    return usage_error(error.what(), where);
  }

  if (auto refused = refuse_unsafe_paths(argc, argv)) return *refused;

  for (auto& [sub, runner] : runners) {
    if (!sub->parsed()) continue;
    try {
      return static_cast<int>(runner());
    } catch (const AirgapError& error) {
      print_error(error.error());
      return static_cast<int>(error.error().code);
    } catch (const std::exception& error) {
      print_error(Error{ExitCode::kOperational, sub->get_name(), error.what(), ""});
      return static_cast<int>(ExitCode::kOperational);
    }
  }
  std::fputs(app.help().c_str(), stdout);
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace wsa::cli
