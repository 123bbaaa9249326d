#include "common/progress.h"

#include <cstdio>

#include "common/encoding.h"

namespace wsa {

Progress::Progress(std::string label, std::uint64_t total_bytes, std::uint64_t total_files, bool enabled)
    : label_(std::move(label)),
      total_bytes_(total_bytes),
      total_files_(total_files),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

void Progress::advance(std::uint64_t bytes, std::uint64_t files) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  bytes_ += bytes;
  files_ += files;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ >= std::chrono::milliseconds(200)) draw(now);
}

void Progress::draw(std::chrono::steady_clock::time_point now) {
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(bytes_) / seconds : 0;
  std::string line = "\r" + label_ + ": " + format_bytes(bytes_);
  if (total_bytes_ > 0) line += " / " + format_bytes(total_bytes_);
  line += ", " + std::to_string(files_);
  if (total_files_ > 0) line += "/" + std::to_string(total_files_);
  line += " files, " + format_bytes(static_cast<std::uint64_t>(rate)) + "/s";
  if (total_bytes_ > bytes_ && rate > 0) {
    auto eta = static_cast<long long>(static_cast<double>(total_bytes_ - bytes_) / rate);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, ", ETA %lld:%02lld", eta / 60, eta % 60);
    line += buffer;
  }
  line += "\x1b[K";
  std::fputs(line.c_str(), stderr);
  drawn_ = true;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (drawn_) std::fputs("\r\x1b[K", stderr);
  drawn_ = false;
}

}  // namespace wsa
