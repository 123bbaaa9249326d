#include "cli/command_support.h"

#include <charconv>
#include <system_error>

#include "common/encoding.h"
#include "common/platform.h"
#include "manifest/transfer_manifest.h"
#include "wsus_airgap_version.h"

namespace wsa::cli {

CLI::Option* add_path_option(CLI::App& app, const std::string& name, fs::path& target,
                             const std::string& help) {
  return app.add_option_function<std::string>(
      name, [&target](const std::string& text) { target = fs::path(text); }, help);
}

CLI::Option* add_path_option(CLI::App& app, const std::string& name, std::optional<fs::path>& target,
                             const std::string& help) {
  return app.add_option_function<std::string>(
      name,
      [&target](const std::string& text) {
        if (!text.empty()) target = fs::path(text);
      },
      help);
}

CLI::Option* add_path_option(CLI::App& app, const std::string& name, std::vector<fs::path>& target,
                             const std::string& help) {
  return app.add_option_function<std::vector<std::string>>(
      name, [&target](const std::vector<std::string>& texts) { target.assign(texts.begin(), texts.end()); },
      help);
}

fs::path required_path(const fs::path& given, const std::optional<fs::path>& fallback, const char* option,
                       const std::string& why_no_default) {
  if (!given.empty()) return given;
  if (fallback) return *fallback;
  fail(ExitCode::kUsage, option,
       why_no_default.empty() ? "is required here" : "is required here: " + why_no_default,
       std::string("give ") + option + " PATH");
}

void require_option(bool present, const char* option, const char* command) {
  if (!present) {
    fail(ExitCode::kUsage, option, "is required",
         std::string("run 'wsus-airgap ") + command + " --help' for the options");
  }
}

std::optional<fs::path> default_state(const char* file) {
  auto dir = platform::wsus_defaults().state_dir;
  if (!dir) return std::nullopt;
  return *dir / file;
}

CLI::Validator whole_number_in(std::int64_t low, std::int64_t high) {
  auto range = "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  CLI::Validator bounded(
      [low, high, range](std::string& text) -> std::string {
        std::int64_t number = 0;
        const char* end = text.data() + text.size();
        auto parsed = std::from_chars(text.data(), end, number);
        if (parsed.ec != std::errc{} || parsed.ptr != end || number < low || number > high) {
          return "'" + text + "' is not " + range;
        }
        return {};
      },
      "INT " + std::to_string(low) + ".." + std::to_string(high));
  return bounded;
}

std::uint64_t parse_size_option(const std::string& text, const char* option) {
  auto size = parse_byte_size(text);
  if (!size || *size < 64 * 1024) {
    fail(ExitCode::kUsage, option, "'" + text + "' is not a size of at least 64K",
         "write it like 700M, 4G or 25G");
  }
  return *size;
}

report::ReportContext report_context(const fs::path& content, const std::string& ledger) {
  report::ReportContext context;
  context.content_dir = content.string();
  context.generated_utc = manifest::utc_now();
  context.host = platform::host_name();
  context.tool_version = std::string("wsus-airgap ") + WSUS_AIRGAP_VERSION;
  context.ledger = ledger;
  return context;
}

}  // namespace wsa::cli
