#pragma once
// What every subcommand file shares: the runner type and the checks of common options.

#include <CLI/CLI.hpp>
#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "report/html_report.h"

namespace wsa::cli {

namespace fs = boost::filesystem;

// Runs a parsed subcommand; throws AirgapError, returns the exit code otherwise.
using Runner = std::function<ExitCode()>;

// Each subcommand declares its options on `app` and returns its runner (cli/cmd_<name>.cpp).
Runner define_keygen(CLI::App& app);
Runner define_export(CLI::App& app);
Runner define_verify(CLI::App& app);
Runner define_import(CLI::App& app);
Runner define_gaps(CLI::App& app);
Runner define_status(CLI::App& app);

// Path options fill the pipeline's own fields. The text given is the path as written: no stream
// reading, which for boost paths would unquote '"a b"'. An empty value counts as not given.
CLI::Option* add_path_option(CLI::App& app, const std::string& name, fs::path& target,
                             const std::string& help);
CLI::Option* add_path_option(CLI::App& app, const std::string& name, std::optional<fs::path>& target,
                             const std::string& help);
// A repeatable path option: every value given, in order.
CLI::Option* add_path_option(CLI::App& app, const std::string& name, std::vector<fs::path>& target,
                             const std::string& help);

// `given` unless empty, else the platform default (the real WSUS locations on Windows); neither: a
// usage error that says why there is no default (on Windows the registry value that is missing or empty).
fs::path required_path(const fs::path& given, const std::optional<fs::path>& fallback, const char* option,
                       const std::string& why_no_default = {});

// Exit 2 naming `option` when `value` is empty. Required options are checked here rather than by
// CLI11, so that a mistyped option is reported as such instead of as a missing one.
void require_option(bool present, const char* option, const char* command);
template <class T>
void require(const T& value, const char* option, const char* command) {
  require_option(!value.empty(), option, command);
}

// `<state dir>/<file>` under %ProgramData%\wsus-airgap on Windows; nullopt elsewhere.
std::optional<fs::path> default_state(const char* file);

inline constexpr std::int64_t kMaxThreshold = 64;          // more signers than any site has
inline constexpr std::int64_t kMaxDeleteCap = 10'000'000;  // more files than any WsusContent holds

// Refuses (at parse time, exit 2, the message giving the range) a text that is not a whole number in
// [low, high]. Read as signed, so "-1" is refused instead of wrapping to an unsigned giant.
CLI::Validator whole_number_in(std::int64_t low, std::int64_t high);

// A whole-number option (any integer type, or an optional one) that only takes values in [low, high].
template <class Number>
CLI::Option* add_bounded_option(CLI::App& app, const std::string& name, Number& value, std::int64_t low,
                                std::int64_t high, const std::string& help) {
  // One type name in --help whatever the field's type: the range beside it says the rest.
  return app.add_option(name, value, help)->type_name("INT")->check(whole_number_in(low, high));
}

// "700M", "4G" ... at least 64 KiB, else exit 2.
std::uint64_t parse_size_option(const std::string& text, const char* option);

// Who made an HTML report, where and when: the page's footer and summary.
report::ReportContext report_context(const fs::path& content, const std::string& ledger);

}  // namespace wsa::cli
