#include "export/volume_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "common/platform.h"
#include "common/progress.h"

namespace wsa::exporting {

namespace {

struct ArchiveFreer {
  void operator()(archive* handle) const { archive_write_free(handle); }
};
struct EntryFreer {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using ArchiveWriter = std::unique_ptr<archive, ArchiveFreer>;
using Entry = std::unique_ptr<archive_entry, EntryFreer>;
using FileCloser = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// parse_manifest refuses more volumes than this; stop before writing a package it would refuse.
constexpr std::size_t kMaxVolumes = 100000;
// Every entry gets the same time so the same files give the same volume bytes (and digests).
constexpr time_t kEntryTime = 0;

std::string volume_name(std::size_t index) {
  return fmt::format("content.tar.{:03}", index);
}

Error changed_error(const fs::path& source, std::uint64_t expected, const std::string& found) {
  return Error{ExitCode::kOperational, source.string(),
               fmt::format("changed while being exported (the scan saw {} bytes, {})", expected, found),
               "re-run the export once WSUS has finished writing its content"};
}

}  // namespace

struct VolumeWriter::Impl {
  fs::path dir;
  std::uint64_t volume_size = 0;
  Progress* progress = nullptr;

  std::optional<platform::OutputFile> volume;  // the volume being written, as "<name>.partial"
  fs::path volume_partial;
  std::uint64_t volume_bytes = 0;
  Sha256Hasher volume_hash;
  std::vector<manifest::PinnedFile> volumes;  // finished, renamed to their final names

  std::optional<Error> stream_error;  // why the write callback failed (libarchive only sees -1)
  std::optional<Error> broken;        // why the tar stream can no longer be continued
  bool finished = false;
  bool discarding = false;
  std::vector<char> buffer = std::vector<char>(kIoBlockSize);
  ArchiveWriter writer;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    // Freeing an unclosed archive writes its end-of-archive blocks; they must not start a volume.
    discarding = true;
    writer.reset();
    if (volume) {
      volume.reset();
      boost::system::error_code ignored;
      fs::remove(volume_partial, ignored);
    }
  }

  Result<void> usable() const {
    if (broken) {
      return make_error(broken->code, broken->what, "the volumes cannot be continued after: " + broken->why,
                        "re-run the export");
    }
    if (finished) return make_error(ExitCode::kOperational, dir.string(), "the volumes are already finished");
    return {};
  }

  // Remembers an error that left the tar stream inconsistent (a header without all its data).
  Error break_stream(Error error) {
    broken = error;
    return error;
  }

  // The error behind a failed libarchive call: ours from the callback when there is one.
  Error archive_failure(const std::string& what) {
    if (stream_error) return *stream_error;
    const char* text = archive_error_string(writer.get());
    return Error{ExitCode::kOperational, what,
                 std::string("cannot write the tar stream: ") + (text ? text : "unknown error"),
                 "check free space and the package folder, then re-run the export"};
  }

  Result<void> open_volume() {
    if (volumes.size() >= kMaxVolumes) {
      return make_error(ExitCode::kUsage, dir.string(),
                        fmt::format("the package would need more than {} volumes", kMaxVolumes),
                        "choose a larger volume size");
    }
    fs::path final_path = dir / volume_name(volumes.size());
    boost::system::error_code ec;
    if (fs::exists(final_path, ec)) {
      return make_error(ExitCode::kOperational, final_path.string(),
                        "already exists; refusing to overwrite it", "export into an empty package folder");
    }
    volume_partial = final_path;
    volume_partial += ".partial";
    auto file = platform::OutputFile::open(volume_partial, platform::OutputFile::Mode::kCreateNew);
    if (!file) return std::unexpected(file.error());
    volume.emplace(std::move(*file));
    volume_bytes = 0;
    return {};
  }

  // A volume is renamed only once its bytes are on stable storage: a final name means a whole volume.
  Result<void> close_volume() {
    if (auto synced = volume->sync(); !synced) return synced;
    if (auto closed = volume->close(); !closed) return closed;
    volume.reset();
    std::string name = volume_name(volumes.size());
    boost::system::error_code ec;
    fs::rename(volume_partial, dir / name, ec);
    if (ec) {
      return make_error(ExitCode::kOperational, (dir / name).string(),
                        "cannot rename into place: " + ec.message());
    }
    volumes.push_back(manifest::PinnedFile{name, volume_bytes, volume_hash.finish_hex()});
    return {};
  }

  // Cuts the tar byte stream at volume boundaries.
  Result<void> write_stream(const unsigned char* data, std::size_t length) {
    while (length > 0) {
      if (!volume) {
        if (auto opened = open_volume(); !opened) return opened;
      }
      std::size_t part =
          static_cast<std::size_t>(std::min<std::uint64_t>(length, volume_size - volume_bytes));
      if (auto written = volume->write(data, part); !written) return written;
      volume_hash.update(data, part);
      volume_bytes += part;
      data += part;
      length -= part;
      // Closed as soon as it is full, so a stream ending on a boundary leaves no empty volume.
      if (volume_bytes == volume_size) {
        if (auto closed = close_volume(); !closed) return closed;
      }
    }
    return {};
  }

  static la_ssize_t write_callback(archive* handle, void* client, const void* data, size_t length) {
    auto* impl = static_cast<Impl*>(client);
    if (impl->discarding) return static_cast<la_ssize_t>(length);
    auto written = impl->write_stream(static_cast<const unsigned char*>(data), length);
    if (!written) {
      impl->stream_error = written.error();
      archive_set_error(handle, EIO, "%s", written.error().message().c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(length);
  }

  // Streams the file's bytes (exactly `size`) into the current entry, hashing them on the way.
  Result<Digests> copy_data(std::FILE* file, const fs::path& source, std::uint64_t size) {
    DualHasher hasher;
    std::uint64_t remaining = size;
    while (remaining > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
      std::size_t got = std::fread(buffer.data(), 1, want, file);
      if (got == 0) {
        if (std::ferror(file)) {
          return std::unexpected(break_stream(Error{ExitCode::kOperational, source.string(), "read error",
                                                    "check the disk, then re-run the export"}));
        }
        return std::unexpected(break_stream(
            changed_error(source, size, fmt::format("it ended after {} bytes", size - remaining))));
      }
      hasher.update(buffer.data(), got);
      la_ssize_t written = archive_write_data(writer.get(), buffer.data(), got);
      if (written < 0 || static_cast<std::size_t>(written) != got) {
        return std::unexpected(break_stream(archive_failure(source.string())));
      }
      remaining -= got;
      if (progress != nullptr) progress->advance(got, 0);
    }
    // A longer file is caught too: the entry holds only a prefix of what is now on disk.
    char extra = 0;
    if (std::fread(&extra, 1, 1, file) == 1) {
      return std::unexpected(break_stream(changed_error(source, size, "it has grown")));
    }
    return hasher.finish();
  }
};

Result<VolumeWriter> VolumeWriter::create(const fs::path& package_dir, std::uint64_t volume_size,
                                          Progress* progress) {
  if (volume_size < kMinVolumeSize) {
    return make_error(
        ExitCode::kUsage, package_dir.string(),
        fmt::format("volume size {} is below the smallest allowed, {} bytes", volume_size, kMinVolumeSize),
        "choose a volume size of at least 64 KiB");
  }
  boost::system::error_code ec;
  if (!fs::is_directory(package_dir, ec)) {
    return make_error(ExitCode::kOperational, package_dir.string(), "is not a folder",
                      "create the package folder first");
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = package_dir;
  impl->volume_size = volume_size;
  impl->progress = progress;
  impl->writer.reset(archive_write_new());
  if (!impl->writer)
    return make_error(ExitCode::kOperational, package_dir.string(),
                      "cannot start a tar stream: out of memory");
  archive* handle = impl->writer.get();
  // pax_restricted writes plain ustar headers and adds pax records only when a value needs them
  // (files over 8 GiB): any tar reads it. No padding of the last block: the stream ends where tar does.
  if (archive_write_set_format_pax_restricted(handle) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(handle, 1) != ARCHIVE_OK ||
      archive_write_open(handle, impl.get(), nullptr, &Impl::write_callback, nullptr) != ARCHIVE_OK) {
    return std::unexpected(impl->archive_failure(package_dir.string()));
  }
  VolumeWriter writer;
  writer.impl_ = std::move(impl);
  return writer;
}

VolumeWriter::VolumeWriter(VolumeWriter&&) noexcept = default;
VolumeWriter& VolumeWriter::operator=(VolumeWriter&&) noexcept = default;
VolumeWriter::~VolumeWriter() = default;

Result<Digests> VolumeWriter::add_file(const std::string& entry_name, const fs::path& source,
                                       std::uint64_t expected_size) {
  if (auto usable = impl_->usable(); !usable) return std::unexpected(usable.error());
  // The limits VolumeReader enforces: a package this writer makes must never be refused by it.
  if (entry_name.empty() || entry_name.size() > verify::kMaxEntryNameBytes) {
    return make_error(ExitCode::kOperational, source.string(),
                      fmt::format("its entry name has {} bytes; a package allows 1 to {}", entry_name.size(),
                                  verify::kMaxEntryNameBytes));
  }
  if (expected_size > verify::kMaxEntryBytes) {
    return make_error(ExitCode::kOperational, source.string(),
                      fmt::format("is {} bytes; a package carries files of at most 1 TiB", expected_size));
  }
  std::string why;
  FileCloser file(platform::open_for_reading(source, &why), &std::fclose);
  if (!file) return make_error(ExitCode::kOperational, source.string(), "cannot open: " + why);
  // Checked before the header is written, so a file that changed since the scan leaves the stream
  // intact and the writer usable.
  boost::system::error_code ec;
  std::uintmax_t actual = fs::file_size(source, ec);
  if (ec) return make_error(ExitCode::kOperational, source.string(), "cannot read its size: " + ec.message());
  if (actual != expected_size)
    return std::unexpected(changed_error(source, expected_size, fmt::format("it now has {}", actual)));

  Entry entry(archive_entry_new());
  if (!entry)
    return make_error(ExitCode::kOperational, source.string(), "cannot make a tar entry: out of memory");
  archive_entry_copy_pathname(entry.get(), entry_name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(expected_size));
  archive_entry_set_mtime(entry.get(), kEntryTime, 0);
  if (archive_write_header(impl_->writer.get(), entry.get()) != ARCHIVE_OK) {
    return std::unexpected(impl_->break_stream(impl_->archive_failure(source.string())));
  }
  auto digests = impl_->copy_data(file.get(), source, expected_size);
  if (!digests) return digests;
  if (archive_write_finish_entry(impl_->writer.get()) != ARCHIVE_OK) {
    return std::unexpected(impl_->break_stream(impl_->archive_failure(source.string())));
  }
  if (impl_->progress != nullptr) impl_->progress->advance(0, 1);
  return digests;
}

Result<std::vector<manifest::PinnedFile>> VolumeWriter::finish() {
  if (auto usable = impl_->usable(); !usable) return std::unexpected(usable.error());
  if (archive_write_close(impl_->writer.get()) != ARCHIVE_OK) {
    return std::unexpected(impl_->break_stream(impl_->archive_failure(impl_->dir.string())));
  }
  if (impl_->volume) {
    if (auto closed = impl_->close_volume(); !closed)
      return std::unexpected(impl_->break_stream(closed.error()));
  }
  impl_->finished = true;
  return impl_->volumes;
}

}  // namespace wsa::exporting
