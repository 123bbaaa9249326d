#pragma once
// Runs wsusutil.exe (or the test simulator, through the same code) and judges the outcome by its
// exit code and its log: wsusutil's exit codes are undocumented, so the log's Error lines count too.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::wsus {

namespace fs = boost::filesystem;

struct WsusutilOutcome {
  int exit_code = 0;
  std::vector<std::string> error_lines;  // log lines at Error level, or naming an exception
};

// `<wsusutil> <verb> <package> <log>`; console output goes to `<log>.console.txt`. A non-zero exit, a
// time-out or Error lines in the log give a kWsusutil error that quotes up to 10 of those lines.
Result<WsusutilOutcome> run_wsusutil(const fs::path& wsusutil, const std::string& verb,
                                     const fs::path& package, const fs::path& log,
                                     std::chrono::seconds timeout);

// The Error-level lines of a wsusutil or WSUS server log (at most `limit`, each cut to 500 characters).
std::vector<std::string> log_error_lines(const fs::path& log, std::size_t limit);

}  // namespace wsa::wsus
