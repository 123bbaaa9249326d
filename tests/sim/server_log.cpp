#include "tests/sim/server_log.h"

#include <fmt/format.h>
#include <boost/filesystem/detail/utf8_codecvt_facet.hpp>

#include <cstdint>

namespace wsa::sim {

namespace {

struct UtcParts {
  int year;
  unsigned month, day;
  long long hours, minutes, seconds, millis;
};

// std::chrono's calendar types give UTC fields without gmtime_r/gmtime_s, the same on every platform.
UtcParts utc_parts(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis_total = time_point_cast<milliseconds>(when);
  const auto day = floor<days>(millis_total);
  const year_month_day date{day};
  const auto in_day = millis_total - day;
  const auto ms = in_day.count();
  return UtcParts{static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()),
                  ms / 3600000,
                  (ms / 60000) % 60,
                  (ms / 1000) % 60,
                  ms % 1000};
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "Info";
    case LogLevel::kWarning:
      return "Warning";
    case LogLevel::kError:
      return "Error";
  }
  return "Info";
}

// UTF-8 text as UTF-16LE bytes (code points above U+FFFF as surrogate pairs), through Boost's own
// UTF-8 conversion of paths.
std::string utf16le(std::string_view utf8) {
  std::string bytes;
  auto unit = [&bytes](std::uint32_t value) {
    bytes.push_back(static_cast<char>(value & 0xFF));
    bytes.push_back(static_cast<char>(value >> 8));
  };
  const fs::detail::utf8_codecvt_facet utf8_facet;
  // A named copy: on Windows wstring() is a reference into the path, which must outlive the loop.
  const std::wstring wide = fs::path(std::string(utf8), utf8_facet).wstring(utf8_facet);
  for (wchar_t c : wide) {
    auto code = static_cast<std::uint32_t>(c);
    if (code > 0xFFFF) {
      code -= 0x10000;
      unit(0xD800 + (code >> 10));
      unit(0xDC00 + (code & 0x3FF));
    } else {
      unit(code);
    }
  }
  return bytes;
}

}  // namespace

std::string format_log_time(std::chrono::system_clock::time_point when) {
  const UtcParts t = utc_parts(when);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", t.year, t.month, t.day, t.hours, t.minutes,
                     t.seconds, t.millis);
}

std::string format_iso_time(std::chrono::system_clock::time_point when) {
  const UtcParts t = utc_parts(when);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.year, t.month, t.day, t.hours, t.minutes,
                     t.seconds, t.millis);
}

Result<ServerLog> ServerLog::open(const fs::path& path, bool utf16) {
  // The real tool starts a fresh log per run; appending would let an old Error line fail a new run.
  ServerLog log;
  log.file_ = std::make_unique<boost::filesystem::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*log.file_) return make_error(ExitCode::kOperational, path.string(), "cannot create the log file");
  log.utf16_ = utf16;
  if (utf16) log.file_->write("\xFF\xFE", 2);
  return Result<ServerLog>(std::move(log));
}

void ServerLog::write(LogLevel level, std::string_view where, std::string_view message) {
  std::string line =
      fmt::format("{} UTC\t{}\tWsusUtil.1\t{}\t{}\r\n", format_log_time(std::chrono::system_clock::now()),
                  level_name(level), where, message);
  if (utf16_) line = utf16le(line);
  file_->write(line.data(), static_cast<std::streamsize>(line.size()));
  file_->flush();
}

}  // namespace wsa::sim
