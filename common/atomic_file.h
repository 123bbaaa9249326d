#pragma once
// Writes that are never seen half-done: a temp file in the target's folder, flushed, then renamed.

#include <boost/filesystem/path.hpp>

#include <optional>
#include <string_view>

#include "common/error.h"
#include "common/platform.h"

namespace wsa {

namespace fs = boost::filesystem;

class AtomicFile {
 public:
  // Creates `<target>.tmp-<random>` beside `target`. The target appears only on commit().
  static Result<AtomicFile> create(const fs::path& target);
  AtomicFile(AtomicFile&&) noexcept = default;
  AtomicFile& operator=(AtomicFile&&) noexcept = default;
  // Removes the temp file unless committed: a destructor never commits.
  ~AtomicFile();

  Result<void> write(const void* data, std::size_t size);
  Result<void> write(std::string_view text) { return write(text.data(), text.size()); }
  // Flushes to disk, then renames over the target (replacing it when `replace` is true).
  Result<void> commit(bool replace = true);
  const fs::path& target() const { return target_; }
  const fs::path& temp_path() const { return temp_; }

 private:
  AtomicFile(platform::OutputFile file, fs::path target, fs::path temp)
      : file_(std::move(file)), target_(std::move(target)), temp_(std::move(temp)) {}
  std::optional<platform::OutputFile> file_;
  fs::path target_;
  fs::path temp_;
  bool committed_ = false;
};

// Writes a whole small file atomically.
Result<void> write_file_atomically(const fs::path& target, std::string_view contents, bool replace = true);

// Reads a whole file of at most `max_bytes` (bounded: inputs cross an air gap and may be hostile).
Result<std::string> read_small_file(const fs::path& path, std::uintmax_t max_bytes);

}  // namespace wsa
