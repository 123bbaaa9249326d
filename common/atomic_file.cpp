#include "common/atomic_file.h"

#include <boost/filesystem/operations.hpp>

#include <random>

#include "common/encoding.h"

namespace wsa {

Result<AtomicFile> AtomicFile::create(const fs::path& target) {
  std::random_device entropy;
  fs::path temp = target;
  temp += ".tmp-" + to_hex_lower(std::to_string(entropy()) + std::to_string(entropy())).substr(0, 12);
  auto file = platform::OutputFile::open(temp, platform::OutputFile::Mode::kCreateNew);
  if (!file) return std::unexpected(file.error());
  return AtomicFile(std::move(*file), target, temp);
}

AtomicFile::~AtomicFile() {
  if (committed_ || temp_.empty()) return;
  file_.reset();
  boost::system::error_code ignored;
  fs::remove(temp_, ignored);
}

Result<void> AtomicFile::write(const void* data, std::size_t size) {
  return file_->write(data, size);
}

Result<void> AtomicFile::commit(bool replace) {
  if (auto synced = file_->sync(); !synced) return synced;
  if (auto closed = file_->close(); !closed) return closed;
  file_.reset();
  boost::system::error_code ec;
  if (!replace && fs::exists(target_, ec)) {
    return make_error(ExitCode::kOperational, target_.string(), "already exists; refusing to overwrite it",
                      "move the existing file away first");
  }
  fs::rename(temp_, target_, ec);
  if (ec)
    return make_error(ExitCode::kOperational, target_.string(), "cannot rename into place: " + ec.message());
  committed_ = true;
  return {};
}

Result<void> write_file_atomically(const fs::path& target, std::string_view contents, bool replace) {
  auto file = AtomicFile::create(target);
  if (!file) return std::unexpected(file.error());
  if (auto written = file->write(contents); !written) return written;
  return file->commit(replace);
}

Result<std::string> read_small_file(const fs::path& path, std::uintmax_t max_bytes) {
  std::string why;
  std::FILE* raw = platform::open_for_reading(path, &why);
  if (raw == nullptr) return make_error(ExitCode::kOperational, path.string(), "cannot open: " + why);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(raw, &std::fclose);
  std::string contents;
  char buffer[65536];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get())) {
    if (contents.size() + got > max_bytes) {
      return make_error(ExitCode::kIntegrity, path.string(),
                        "larger than the " + std::to_string(max_bytes) + "-byte limit for this kind of file",
                        "the file is not what it claims to be; do not trust this media");
    }
    contents.append(buffer, got);
  }
  if (std::ferror(file.get())) return make_error(ExitCode::kOperational, path.string(), "read error");
  return contents;
}

}  // namespace wsa
