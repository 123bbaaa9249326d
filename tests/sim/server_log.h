#pragma once
// The log file wsusutil writes beside its package, in the WSUS server log shape (fields separated by a
// tab, as in SoftwareDistribution.log):
//   <yyyy-MM-dd HH:mm:ss.fff> UTC<TAB><Level><TAB><process.thread><TAB><Class.Method><TAB><message>
// Level is Info, Warning or Error. Each line is flushed at once, so a killed run leaves what it logged.

#include <boost/filesystem/path.hpp>

#include <boost/filesystem/fstream.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

enum class LogLevel { kInfo, kWarning, kError };

class ServerLog {
 public:
  // Creates (or truncates) the log file. UTF-8 lines, or with `utf16` UTF-16LE after a byte-order mark,
  // as many Windows tools write their logs; CRLF line ends either way.
  static Result<ServerLog> open(const fs::path& path, bool utf16 = false);

  // Appends one line stamped with the current UTC time; `where` is "Class.Method".
  void write(LogLevel level, std::string_view where, std::string_view message);
  void info(std::string_view where, std::string_view message) { write(LogLevel::kInfo, where, message); }
  void warning(std::string_view where, std::string_view message) {
    write(LogLevel::kWarning, where, message);
  }
  void error(std::string_view where, std::string_view message) { write(LogLevel::kError, where, message); }

 private:
  ServerLog() = default;
  // Held by pointer: Boost 1.74's ofstream cannot be moved.
  std::unique_ptr<boost::filesystem::ofstream> file_;
  bool utf16_ = false;
};

// "2026-11-20 08:00:00.123" for a UTC time point (the log's time stamp without " UTC").
std::string format_log_time(std::chrono::system_clock::time_point when);

// "2026-11-20T08:00:00.123Z" (the state file's and the package's time form).
std::string format_iso_time(std::chrono::system_clock::time_point when);

}  // namespace wsa::sim
