#include "wsus/live_server.h"

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "common/atomic_file.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/strict_json.h"
#include "common/text.h"
#include "wsus/powershell_runner.h"
#include "wsus/powershell_scripts.h"

namespace wsa::wsus {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxUpdates = 1'000'000;
constexpr std::size_t kMaxFilesPerUpdate = 100'000;
constexpr std::size_t kMaxText = 64 * 1024;

// The common reader's rules (common/strict_json.h); the query's own words for what only it checks.
void refuse_unknown(const JsonObjectReader& fields, const std::string& context,
                    std::initializer_list<std::string_view> known) {
  if (auto extra = fields.first_unknown(known)) {
    throw JsonRefusal{context + " has an unknown field \"" + printable(*extra) + "\""};
  }
}

// A string of at most kMaxText bytes; null reads as empty where `nullable`.
std::string text(const JsonObjectReader& fields, std::string_view name, bool nullable) {
  if (nullable && fields.is_null(name)) return {};
  std::string value = fields.string(name);
  if (value.size() > kMaxText)
    throw JsonRefusal{fields.label(name) + " is longer than " + std::to_string(kMaxText) + " bytes"};
  return value;
}

std::uint64_t number(const JsonObjectReader& fields, std::string_view name, std::uint64_t max) {
  std::uint64_t value = fields.unsigned_integer(name);
  if (value > max) throw JsonRefusal{fields.label(name) + " is larger than " + std::to_string(max)};
  return value;
}

const json& list(const JsonObjectReader& fields, std::string_view name, std::size_t max) {
  const json& value = fields.array(name);
  if (value.size() > max)
    throw JsonRefusal{fields.label(name) + " has more than " + std::to_string(max) + " entries"};
  return value;
}

PackageFile parse_file(const json& value, const std::string& context, std::string* uri) {
  JsonObjectReader fields(value, context + ".");
  refuse_unknown(fields, context, {"name", "sha1", "sha256", "size", "uri"});
  PackageFile file;
  file.name = text(fields, "name", false);
  if (file.name.empty() || file.name.find_first_of("/\\:") != std::string::npos) {
    throw JsonRefusal{fields.label("name") + " \"" + printable(file.name) +
                      "\" is empty or holds a path separator"};
  }
  file.sha1_hex = to_upper_ascii(text(fields, "sha1", false));
  if (file.sha1_hex.size() != 40 || !is_hex(file.sha1_hex)) {
    throw JsonRefusal{fields.label("sha1") + " \"" + printable(file.sha1_hex) + "\" is not 40 hex digits"};
  }
  std::string sha256 = to_lower_ascii(text(fields, "sha256", true));
  if (!sha256.empty()) {
    if (sha256.size() != 64 || !is_hex(sha256)) {
      throw JsonRefusal{fields.label("sha256") + " \"" + printable(sha256) + "\" is not 64 hex digits"};
    }
    file.sha256_hex = sha256;
  }
  file.size = number(fields, "size", 1ULL << 50);
  *uri = text(fields, "uri", true);
  return file;
}

FailedUpdate parse_update(const json& value, const std::string& context) {
  JsonObjectReader fields(value, context + ".");
  refuse_unknown(fields, context, {"update_id", "revision", "title", "kb", "classification", "files"});
  FailedUpdate failed;
  std::string id = text(fields, "update_id", false);
  auto normalized = normalize_update_id(id);
  if (!normalized) throw JsonRefusal{fields.label("update_id") + " \"" + printable(id) + "\" is not a GUID"};
  failed.update.update_id = *normalized;
  failed.update.revision = static_cast<std::uint32_t>(number(fields, "revision", 0xFFFFFFFFULL));
  failed.update.title = text(fields, "title", true);
  std::string kb = text(fields, "kb", true);
  auto normalized_kb = normalize_kb(kb);
  if (!normalized_kb) throw JsonRefusal{fields.label("kb") + " \"" + printable(kb) + "\" is not a KB number"};
  failed.update.kb_article = *normalized_kb;
  failed.update.classification = text(fields, "classification", true);
  const json& files = list(fields, "files", kMaxFilesPerUpdate);
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string uri;
    failed.files.push_back(parse_file(files[i], fields.label("files") + "[" + std::to_string(i) + "]", &uri));
    failed.update.file_sha1_hex.push_back(failed.files.back().sha1_hex);
    failed.uris.push_back(std::move(uri));
  }
  return failed;
}

// Runs the query program, its output in a temp folder, and parses what it printed.
// `hint_for(exit code)` says what to do when the program fails (-1: it did not run or finish).
Result<std::vector<FailedUpdate>> run_query(const fs::path& program, const std::vector<std::string>& args,
                                            std::chrono::seconds timeout, const ScriptFolder& temp,
                                            const std::function<std::string(int)>& hint_for) {
  const std::string hint = hint_for(-1);
  platform::ProcessOptions options;
  options.timeout = timeout;
  options.stdout_file = temp.path() / "stdout.json";
  options.stderr_file = temp.path() / "stderr.txt";
  auto ran = platform::run_process(program, args, options);
  if (!ran) return make_error(ExitCode::kOperational, program.string(), ran.error().why, hint);
  if (ran->timed_out) {
    return make_error(ExitCode::kOperational, program.string(),
                      "did not finish within " + std::to_string(timeout.count()) + " seconds", hint);
  }
  if (ran->exit_code != 0) {
    auto err = read_small_file(options.stderr_file, 64 * 1024);
    std::string detail = err ? stderr_tail(*err) : std::string();
    return make_error(ExitCode::kOperational, program.string(),
                      "exited with code " + std::to_string(ran->exit_code) +
                          (detail.empty() ? "" : "; it said:\n" + detail),
                      hint_for(ran->exit_code));
  }
  auto output = read_small_file(options.stdout_file, kMaxLiveServerOutputBytes);
  if (!output) {
    return make_error(
        ExitCode::kOperational, program.string() + " output", output.error().why,
        "the server lists more failed updates than wsus-airgap reads at once; use --metadata with an "
        "export package instead");
  }
  return parse_failed_updates(*output, program.string() + " output");
}

class ProgramQuery : public LiveServerQuery {
 public:
  ProgramQuery(fs::path program, std::chrono::seconds timeout)
      : program_(std::move(program)), timeout_(timeout) {}
  Result<std::vector<FailedUpdate>> failed_updates() override {
    auto temp = ScriptFolder::create();
    if (!temp) return std::unexpected(temp.error());
    return run_query(program_, {}, timeout_, *temp,
                     [](int) { return std::string("check the program given with --server-query"); });
  }

 private:
  fs::path program_;
  std::chrono::seconds timeout_;
};

// What to do about each exit code of wsus/powershell/failed-updates.ps1 (see its header).
std::string powershell_hint(int exit_code) {
  switch (exit_code) {
    case 10:
      return "install the WSUS console (Windows feature UpdateServices-UI), which brings the administration "
             "API, or run on the WSUS server; or use --metadata with an export package";
    case 11:
      return "run from an elevated prompt as a member of the WSUS Administrators group";
    case 12:
      return "check that the WSUS service and its IIS site (WSUS Administration, application pool WsusPool) "
             "are running on this server";
    default:
      return "run on the WSUS server as a WSUS Administrator (the WSUS console's API must be installed), "
             "or use --metadata with an export package";
  }
}

// Writes the embedded script into a temp folder and runs it as Windows PowerShell 5.1 is run from a
// console: -NoProfile -NonInteractive -ExecutionPolicy Bypass -File. Only the program can differ
// (tests give a host with the stand-in API; the arguments and everything else are the same).
class PowerShellQuery : public LiveServerQuery {
 public:
  PowerShellQuery(std::optional<fs::path> powershell, std::chrono::seconds timeout)
      : powershell_(std::move(powershell)), timeout_(timeout) {}
  Result<std::vector<FailedUpdate>> failed_updates() override {
    auto powershell = powershell_program(
        powershell_, "--server",
        "run it on the WSUS server, or give --metadata FILE (a wsusutil export package) here");
    if (!powershell) return std::unexpected(powershell.error());
    auto temp = ScriptFolder::create();
    if (!temp) return std::unexpected(temp.error());
    fs::path script = temp->path() / "wsus-failed-updates.ps1";
    // A BOM makes Windows PowerShell 5.1 read the script as UTF-8 rather than the ANSI code page.
    if (auto written =
            write_file_atomically(script, "\xEF\xBB\xBF" + std::string(scripts::kFailedUpdatesScript));
        !written) {
      return std::unexpected(written.error());
    }
    return run_query(
        *powershell,
        {"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", script.string()}, timeout_,
        *temp, powershell_hint);
  }

 private:
  std::optional<fs::path> powershell_;
  std::chrono::seconds timeout_;
};

}  // namespace

std::string_view failed_updates_script() {
  return scripts::kFailedUpdatesScript;
}

Result<std::vector<FailedUpdate>> parse_failed_updates(std::string_view text, const std::string& where) {
  const std::string hint = "the query must print one JSON array of failed updates; see wsus/live_server.h";
  if (text.size() > kMaxLiveServerOutputBytes) {
    return make_error(ExitCode::kOperational, where,
                      "is larger than " + format_bytes(kMaxLiveServerOutputBytes), hint);
  }
  // PowerShell may start its output with a UTF-8 BOM and end it with CRLF.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  try {
    json document = parse_strict_json(text, kMaxLiveServerOutputBytes);
    if (!document.is_array()) throw JsonRefusal{"is not a JSON array"};
    if (document.size() > kMaxUpdates)
      throw JsonRefusal{"lists more than " + std::to_string(kMaxUpdates) + " updates"};
    std::vector<FailedUpdate> updates;
    updates.reserve(document.size());
    for (std::size_t i = 0; i < document.size(); ++i) {
      updates.push_back(parse_update(document[i], "[" + std::to_string(i) + "]"));
    }
    return updates;
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kOperational, where, refusal.why, hint);
  }
}

std::unique_ptr<LiveServerQuery> make_powershell_query(std::optional<fs::path> powershell,
                                                       std::chrono::seconds timeout) {
  return std::make_unique<PowerShellQuery>(std::move(powershell), timeout);
}

std::unique_ptr<LiveServerQuery> make_program_query(fs::path program, std::chrono::seconds timeout) {
  return std::make_unique<ProgramQuery>(std::move(program), timeout);
}

}  // namespace wsa::wsus
