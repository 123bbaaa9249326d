#include "wsus/wsusutil.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <sstream>
#include <string_view>

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

namespace {
// UTF-16LE (with its byte-order mark, as many Windows tools write logs) to UTF-8; unpaired
// surrogates become U+FFFD.
std::string utf16le_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() / 2);
  auto unit = [&](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(bytes[i]) |
                                 static_cast<unsigned char>(bytes[i + 1]) << 8);
  };
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    char32_t c = unit(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < bytes.size() && unit(i + 2) >= 0xDC00 &&
        unit(i + 2) <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> log_error_lines(const fs::path& log, std::size_t limit) {
  std::vector<std::string> lines;
  std::FILE* file = platform::open_for_reading(log, nullptr);  // wide, long paths on Windows
  if (file == nullptr) return lines;
  // A hostile or runaway log must not cost unbounded time: read at most 64 MiB of it.
  std::string text;
  char buffer[64 * 1024];
  std::size_t got = 0;
  while (text.size() < (64u << 20) && (got = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    text.append(buffer, got);
  std::fclose(file);
  if (text.starts_with("\xFF\xFE")) {
    text = utf16le_to_utf8(std::string_view(text).substr(2));
  } else if (text.starts_with("\xEF\xBB\xBF")) {
    text.erase(0, 3);
  }
  std::size_t start = 0;
  while (lines.size() < limit && start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
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
