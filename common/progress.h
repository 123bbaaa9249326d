#pragma once
// Progress on a terminal (bytes, files, rate, ETA), silent when output is not a terminal.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace wsa {

class Progress {
 public:
  // `label` names the step ("hashing", "writing volumes"); totals may be 0 when unknown.
  Progress(std::string label, std::uint64_t total_bytes, std::uint64_t total_files, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Thread-safe; redraws at most every 200 ms.
  void advance(std::uint64_t bytes, std::uint64_t files);
  // Clears the line.
  void finish();

 private:
  void draw(std::chrono::steady_clock::time_point now);
  std::string label_;
  std::uint64_t total_bytes_;
  std::uint64_t total_files_;
  bool enabled_;
  bool drawn_ = false;
  std::uint64_t bytes_ = 0;
  std::uint64_t files_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace wsa
