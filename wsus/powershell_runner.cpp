#include "wsus/powershell_runner.h"

#include <boost/filesystem/operations.hpp>

#include "common/atomic_file.h"
#include "common/platform.h"

namespace wsa::wsus {

Result<ScriptFolder> ScriptFolder::create() {
  boost::system::error_code ec;
  fs::path path = fs::temp_directory_path(ec);
  if (!ec) path /= fs::unique_path("wsus-airgap-live-%%%%-%%%%-%%%%", ec);
  if (!ec) fs::create_directories(path, ec);
  if (ec) {
    return make_error(ExitCode::kOperational, path.string(), "cannot create a temp folder: " + ec.message(),
                      "check that TEMP points to a writable folder");
  }
  return ScriptFolder(path);
}

ScriptFolder::ScriptFolder(ScriptFolder&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScriptFolder::~ScriptFolder() {
  boost::system::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

Result<fs::path> powershell_program(const std::optional<fs::path>& given, const std::string& option,
                                    const std::string& hint) {
  if (given) return *given;
#ifdef _WIN32
  (void)option;
  (void)hint;
  auto system_root = platform::environment("SystemRoot").value_or("C:\\Windows");
  return fs::path(system_root) / "System32" / "WindowsPowerShell" / "v1.0" / "powershell.exe";
#else
  return make_error(ExitCode::kUsage, option,
                    "asks the WSUS administration API, which exists only on Windows", hint);
#endif
}

std::string stderr_tail(std::string_view err) {
  std::string tail;
  tail.reserve(err.size());
  for (std::size_t i = 0; i < err.size(); ++i) {
    if (err[i] != '\r' || i + 1 == err.size() || err[i + 1] != '\n') tail.push_back(err[i]);
  }
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (tail.size() > 2000) tail.erase(0, tail.size() - 2000);
  return tail;
}

Result<ScriptOutput> run_powershell_script(const fs::path& powershell, const ScriptFolder& folder,
                                           const std::string& name, std::string_view script,
                                           const std::vector<std::string>& args, std::chrono::seconds timeout,
                                           std::uint64_t max_output) {
  fs::path file = folder.path() / name;
  // A BOM makes Windows PowerShell 5.1 read the script as UTF-8 rather than the ANSI code page.
  if (auto written = write_file_atomically(file, "\xEF\xBB\xBF" + std::string(script)); !written) {
    return std::unexpected(written.error());
  }
  std::vector<std::string> command = {"-NoProfile", "-NonInteractive", "-ExecutionPolicy",
                                      "Bypass",     "-File",           file.string()};
  command.insert(command.end(), args.begin(), args.end());
  platform::ProcessOptions options;
  options.timeout = timeout;
  options.stdout_file = folder.path() / (name + ".out");
  options.stderr_file = folder.path() / (name + ".err");
  auto ran = platform::run_process(powershell, command, options);
  if (!ran) return make_error(ExitCode::kOperational, powershell.string(), ran.error().why);
  if (ran->timed_out) {
    return make_error(ExitCode::kOperational, powershell.string() + " " + name,
                      "did not finish within " + std::to_string(timeout.count()) + " seconds");
  }
  ScriptOutput output;
  output.exit_code = ran->exit_code;
  auto err = read_small_file(options.stderr_file, 64 * 1024);
  output.err = err ? stderr_tail(*err) : std::string();
  auto out = read_small_file(options.stdout_file, max_output);
  if (!out)
    return make_error(ExitCode::kOperational, powershell.string() + " " + name + " output", out.error().why);
  output.out = std::move(*out);
  return output;
}

}  // namespace wsa::wsus
