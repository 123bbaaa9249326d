#include "cli/commands.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "cli/output.h"
#include "cli/reports.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "export/export_pipeline.h"
#include "import/import_pipeline.h"
#include "manifest/keys.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/package_check.h"
#include "wsus_airgap_version.h"

namespace wsa::cli {

namespace {

namespace fs = boost::filesystem;
using Runner = std::function<ExitCode()>;

std::vector<fs::path> to_paths(const std::vector<std::string>& texts) {
  return std::vector<fs::path>(texts.begin(), texts.end());
}

// On Windows the real WSUS locations are the defaults; elsewhere the option must be given.
fs::path required_path(const std::string& given, const std::optional<fs::path>& fallback, const char* option) {
  if (!given.empty()) return given;
  if (fallback) return *fallback;
  fail(ExitCode::kUsage, option, "is required here", std::string("give ") + option + " PATH");
}

// Required options are checked here rather than by CLI11, so that a mistyped option is reported as
// such instead of as a missing one.
template <class T>
void require(const T& value, const char* option, const char* command) {
  if (value.empty()) {
    fail(ExitCode::kUsage, option, "is required",
         std::string("run 'wsus-airgap ") + command + " --help' for the options");
  }
}

std::optional<fs::path> default_state(const char* file) {
  auto dir = platform::wsus_defaults().state_dir;
  if (!dir) return std::nullopt;
  return *dir / file;
}

std::uint64_t parse_size_option(const std::string& text, const char* option) {
  auto size = parse_byte_size(text);
  if (!size || *size < 64 * 1024) {
    fail(ExitCode::kUsage, option, "'" + text + "' is not a size of at least 64K", "write it like 700M, 4G or 25G");
  }
  return *size;
}

Runner define_keygen(CLI::App& app) {
  auto prefix = std::make_shared<std::string>();
  app.add_option("--out", *prefix, "Write PREFIX.key (private, owner-only) and PREFIX.pub (required)");
  return [prefix]() {
    require(*prefix, "--out", "keygen");
    auto key = value_or_throw(manifest::SigningKey::generate());
    value_or_throw(key.save(*prefix));
    std::printf("key id: %s\nprivate key: %s.key (keep it on the connected side, owner-only)\n"
                "public key:  %s.pub (copy it to the offline server for --trust)\n",
                key.key_id().c_str(), prefix->c_str(), prefix->c_str());
    return ExitCode::kSuccess;
  };
}

Runner define_export(CLI::App& app) {
  struct Args {
    std::string content, media, state, wsusutil, metadata, volume_size;
    std::vector<std::string> keys;
    std::uint64_t expires_days = 0;
    bool full = false, dry_run = false, json = false, rehash = false, skip_mismatched = false, allow_empty = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--content", args->content, "WsusContent folder of the connected server");
  app.add_option("--media", args->media, "Folder on the removable media that receives the package (required)");
  app.add_option("--key", args->keys, "Signing key made by keygen (repeat for several signers)");
  app.add_option("--state", args->state, "Export ledger (SQLite): sequence numbers, hash cache, history");
  auto* wsusutil = app.add_option("--wsusutil", args->wsusutil, "wsusutil.exe to run for the metadata export");
  auto* metadata = app.add_option("--metadata", args->metadata, "An existing wsusutil export package instead");
  wsusutil->excludes(metadata);
  app.add_flag("--full", args->full, "Carry every content file, not only what the offline side lacks");
  app.add_option("--volume-size", args->volume_size, "Largest volume file, e.g. 4G (FAT32: 4 GiB - 1 byte)");
  app.add_option("--expires-in-days", args->expires_days, "Refuse the package on import after this many days");
  app.add_flag("--rehash", args->rehash, "Read every content file, ignoring the hash cache");
  app.add_flag("--skip-mismatched", args->skip_mismatched, "Export the rest when some files do not match their names");
  app.add_flag("--allow-empty", args->allow_empty, "Export even when the content folder holds no files");
  app.add_flag("--dry-run", args->dry_run, "Show what would be exported; write nothing");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    auto defaults = platform::wsus_defaults();
    require(args->media, "--media", "export");
    exporting::ExportOptions options;
    options.content = required_path(args->content, defaults.content_dir, "--content");
    options.media = args->media;
    options.keys = to_paths(args->keys);
    options.state = required_path(args->state, default_state("export-ledger.sqlite"), "--state");
    if (!args->wsusutil.empty()) options.wsusutil = fs::path(args->wsusutil);
    if (!args->metadata.empty()) options.metadata = fs::path(args->metadata);
    if (!options.wsusutil && !options.metadata && defaults.wsusutil) options.wsusutil = defaults.wsusutil;
    options.full = args->full;
    options.dry_run = args->dry_run;
    options.rehash = args->rehash;
    options.skip_mismatched = args->skip_mismatched;
    options.allow_empty = args->allow_empty;
    if (!args->volume_size.empty()) options.volume_size = parse_size_option(args->volume_size, "--volume-size");
    if (args->expires_days > 0) options.expires_in_days = args->expires_days;
    options.show_progress = !args->json && platform::is_terminal(stderr);
    auto report = exporting::run_export(options);
    print_export(report, args->json);
    return ExitCode::kSuccess;
  };
}

Runner define_verify(CLI::App& app) {
  struct Args {
    std::vector<std::string> media, trust;
    std::size_t threshold = 1;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--media", args->media, "Folder holding transfer packages (repeat for several; required)");
  app.add_option("--trust", args->trust, "Trusted public key (repeat; required)");
  app.add_option("--threshold", args->threshold, "Distinct trusted signatures required (default 1)");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    require(args->media, "--media", "verify");
    require(args->trust, "--trust", "verify");
    auto trust = value_or_throw(manifest::TrustStore::load(to_paths(args->trust)));
    verify::VerifyOptions options;
    options.threshold = args->threshold;
    auto check = value_or_throw(verify::verify_media(to_paths(args->media), trust, options));
    print_verify(check, args->json);
    if (check.packages.empty()) {
      fail(ExitCode::kOperational, "--media", "holds no complete wsus-airgap package",
           "give the folder that holds the wsus-airgap-NNNNNN package folders");
    }
    if (check.all_good()) return ExitCode::kSuccess;
    ExitCode worst = ExitCode::kIntegrity;
    for (const auto& entry : check.packages) {
      if (entry.error && entry.error->code != ExitCode::kIntegrity) worst = entry.error->code;
    }
    return worst;
  };
}

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

Runner define_gaps(CLI::App& app) {
  app.add_option("--content", "WsusContent folder to check");
  app.add_option("--metadata", "wsusutil export package that lists the expected files");
  app.add_flag("--json")->description("Print the result as JSON");
  return []() -> ExitCode {
    fail(ExitCode::kOperational, "'gaps'",
         std::string("this command is not built yet in wsus-airgap ") + WSUS_AIRGAP_VERSION,
         "'import' already reports files missing after each package");
  };
}

Runner define_status(CLI::App& app) {
  struct Args {
    std::string state;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--state", args->state, "Ledger (SQLite) to read");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    fs::path state = required_path(args->state, default_state("import-ledger.sqlite"), "--state");
    boost::system::error_code ec;
    if (!fs::exists(state, ec)) {
      fail(ExitCode::kOperational, state.string(), "does not exist", "give the --state file that export or import used");
    }
    auto ledger = value_or_throw(state::Ledger::open(state));
    auto history = value_or_throw(ledger.history());
    print_status(ledger.ledger_id(), history, args->json);
    return ExitCode::kSuccess;
  };
}

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

}  // namespace

std::span<const Command> command_table() { return table(); }

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
