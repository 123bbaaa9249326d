#pragma once
// Running one of the embedded PowerShell scripts (wsus/powershell/*.ps1) the way an administrator's
// console runs Windows PowerShell 5.1: written to a temp folder with a UTF-8 BOM, started with
// -NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT [ARGS], its output kept in files.
// Tests give another program (tests/pwsh-host) with the same command line.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa::wsus {

namespace fs = boost::filesystem;

// A temp folder removed however the run ends.
class ScriptFolder {
 public:
  static Result<ScriptFolder> create();
  ScriptFolder(ScriptFolder&& other) noexcept;
  ScriptFolder& operator=(ScriptFolder&&) = delete;
  ~ScriptFolder();
  const fs::path& path() const { return path_; }

 private:
  explicit ScriptFolder(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// `given`, else Windows PowerShell 5.1 (%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe);
// elsewhere a kUsage error naming `option` (the WSUS API exists only on Windows), with `hint` as
// what to do instead.
Result<fs::path> powershell_program(const std::optional<fs::path>& given, const std::string& option,
                                    const std::string& hint = "run it on the WSUS server");

struct ScriptOutput {
  std::string out;  // standard output, at most `max_output` bytes
  int exit_code = 0;
  std::string err;  // the last 2000 bytes of standard error, line ends trimmed
};

// What a program wrote on standard error, as a message quotes it: CRLF read as LF (kept, it would print
// as CR CR LF on Windows), line ends trimmed at the end, the last 2000 bytes.
std::string stderr_tail(std::string_view err);

// Writes `script` as `folder/name` and runs `powershell` on it with `args` after -File SCRIPT. Errors
// (kOperational) only when it could not run or did not finish; a non-zero exit is returned as such.
Result<ScriptOutput> run_powershell_script(const fs::path& powershell, const ScriptFolder& folder,
                                           const std::string& name, std::string_view script,
                                           const std::vector<std::string>& args, std::chrono::seconds timeout,
                                           std::uint64_t max_output);

}  // namespace wsa::wsus
