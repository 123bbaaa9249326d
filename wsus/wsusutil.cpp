#include "wsus/wsusutil.h"

#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>

#include <fstream>
#include <sstream>

#include "common/platform.h"

namespace wsa::wsus {

namespace {
// Server log lines read "<date> <time> UTC <Level> <process.thread> <Class.Method> <message>", the
// fields separated by tabs or spaces.
bool is_error_line(const std::string& line) {
  std::istringstream fields(line);
  std::string date, time, zone, level;
  fields >> date >> time >> zone >> level;
  if (zone == "UTC" && (level == "Error" || level == "Fatal")) return true;
  return line.find("Exception") != std::string::npos || line.rfind("Error", 0) == 0;
}
}  // namespace

std::vector<std::string> log_error_lines(const fs::path& log, std::size_t limit) {
  std::vector<std::string> lines;
  boost::filesystem::ifstream in(log, std::ios::binary);  // wide paths on Windows
  std::string line;
  std::size_t read_bytes = 0;
  // A hostile or runaway log must not cost unbounded time: read at most 64 MiB of it.
  while (lines.size() < limit && read_bytes < (64u << 20) && std::getline(in, line)) {
    read_bytes += line.size() + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (is_error_line(line)) lines.push_back(line.size() > 500 ? line.substr(0, 500) + "..." : line);
  }
  return lines;
}

Result<WsusutilOutcome> run_wsusutil(const fs::path& wsusutil, const std::string& verb,
                                     const fs::path& package, const fs::path& log,
                                     std::chrono::seconds timeout) {
  platform::ProcessOptions options;
  options.timeout = timeout;
  options.stdout_file = fs::path(log.string() + ".console.txt");
  options.stderr_file = options.stdout_file;
  auto process = platform::run_process(wsusutil, {verb, package.string(), log.string()}, options);
  if (!process) return std::unexpected(process.error());

  WsusutilOutcome outcome;
  outcome.exit_code = process->exit_code;
  outcome.error_lines = log_error_lines(log, 10);
  std::string what = "wsusutil " + verb;
  std::string hint =
      "read the full log at " + log.string() + "; fix the cause on the WSUS server and run again";
  if (process->timed_out) {
    return make_error(ExitCode::kWsusutil, what,
                      "did not finish within " + std::to_string(timeout.count()) + " s", hint);
  }
  if (process->exit_code != 0 || !outcome.error_lines.empty()) {
    std::string why = "failed (exit code " + std::to_string(process->exit_code) + ")";
    for (const auto& line : outcome.error_lines) why += "\n    " + line;
    return make_error(ExitCode::kWsusutil, what, why, hint);
  }
  return outcome;
}

}  // namespace wsa::wsus
