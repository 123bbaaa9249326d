#include "verify/volume_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <boost/filesystem/operations.hpp>

#include <cerrno>
#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "common/digest.h"
#include "common/platform.h"

namespace wsa::verify {

namespace {

struct ArchiveFreer {
  void operator()(archive* handle) const { archive_read_free(handle); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveFreer>;
using FileCloser = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

constexpr const char* kHint =
    "the package is damaged or was not written by wsus-airgap: copy it again from the export side";

// Entry names come from untrusted media: keep control characters out of the terminal.
std::string printable(std::string_view name) {
  std::string text;
  for (char c : name.substr(0, 300)) {
    auto byte = static_cast<unsigned char>(c);
    text.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (name.size() > 300) text += "...";
  return text;
}

const char* describe_type(unsigned int type) {
  switch (type) {
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFDIR:
      return "a folder";
    case AE_IFCHR:
    case AE_IFBLK:
      return "a device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "of an unknown type";
  }
}

}  // namespace

struct VolumeReader::Impl {
  std::vector<fs::path> volumes;
  std::vector<std::uint64_t> expected_sizes;  // empty when the caller gave none
  std::vector<std::string> expected_sha256;   // empty, or one per volume ("" for one not hashed)
  std::function<Result<void>(std::size_t)> on_verified;
  bool hashing = false;
  std::size_t next_volume = 0;  // the next one to open
  std::size_t current = 0;      // the one being (or last) read
  FileCloser file{nullptr, &std::fclose};
  std::uint64_t read_in_volume = 0;
  // Blocks used in turn: the ones before are being hashed while the current one is read into and
  // handed out (a block stays libarchive's until the next read callback).
  BlockRing buffers;
  // Over the current volume's bytes, while `hashing`, on a thread of its own: each block is hashed
  // while libarchive unpacks it and the caller hashes and writes the entry. Declared after the
  // buffers, so its thread has stopped before they are freed.
  BackgroundSha256 hasher;
  std::optional<Error> stream_error;  // why the read callback failed (libarchive only sees -1)
  std::optional<Error> broken;
  bool in_entry = false;
  ArchiveReader reader;  // last: freed first, while the members its callback uses still live

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { reader.reset(); }

  std::string volume_text() const { return volumes[current].string(); }

  Error fail(Error error) {
    broken = error;
    return error;
  }

  Error integrity(std::string why) {
    return fail(Error{ExitCode::kIntegrity, volume_text(), std::move(why), kHint});
  }

  // The error behind a failed libarchive call: ours from the callback when there is one.
  Error archive_failure() {
    if (stream_error) return fail(*stream_error);
    const char* text = archive_error_string(reader.get());
    return integrity(std::string("the tar stream is damaged: ") + (text != nullptr ? text : "unknown error"));
  }

  Error wrong_size(std::uint64_t expected) {
    std::string found = read_in_volume > expected ? "more than that" : fmt::format("{}", read_in_volume);
    return Error{ExitCode::kIntegrity, volume_text(),
                 fmt::format("should be {} bytes long but has {}: the volume is truncated or altered",
                             expected, found),
                 kHint};
  }

  Error digest_mismatch() {
    return fail(Error{ExitCode::kIntegrity, volume_text(),
                      "volume does not match its SHA-256 in the signed manifest",
                      "the media was altered or damaged: do not import it; export again or copy it again"});
  }

  // The volumes read one after another as one byte stream.
  Result<std::size_t> read_stream() {
    for (;;) {
      if (!file) {
        if (next_volume == volumes.size()) return 0;
        current = next_volume++;
        read_in_volume = 0;
        std::string why;
        file.reset(platform::open_for_reading(volumes[current], &why));
        if (!file) {
          return make_error(ExitCode::kIntegrity, volume_text(), "cannot be read: " + why,
                            "the volume is missing from the media: copy it again from the export side");
        }
        hashing = !expected_sha256.empty() && !expected_sha256[current].empty();
      }
      std::vector<char>& buffer = buffers.next();
      std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
      if (got > 0) {
        read_in_volume += got;
        if (!expected_sizes.empty() && read_in_volume > expected_sizes[current]) {
          return std::unexpected(wrong_size(expected_sizes[current]));
        }
        if (hashing) hasher.update(buffer.data(), got);
        return got;
      }
      if (std::ferror(file.get())) {
        return make_error(ExitCode::kOperational, volume_text(), "read error", "check the media");
      }
      if (auto ended = end_of_volume(); !ended) return std::unexpected(ended.error());
    }
  }

  // The current volume's last byte was read: its size, and its digest when it is hashed.
  Result<void> end_of_volume() {
    if (!expected_sizes.empty() && read_in_volume != expected_sizes[current]) {
      return std::unexpected(wrong_size(expected_sizes[current]));
    }
    // The writer never makes an empty volume: one would be a stub left by a failed copy.
    if (read_in_volume == 0) {
      return make_error(ExitCode::kIntegrity, volume_text(), "is empty: the volume is truncated", kHint);
    }
    file.reset();
    if (!hashing) return {};
    hashing = false;
    if (hasher.finish_hex() != expected_sha256[current]) return std::unexpected(digest_mismatch());
    if (on_verified) return on_verified(current);
    return {};
  }

  // After the tar stream's end: the rest of the last volume (the end-of-archive blocks and the
  // record padding) still counts towards its size and digest.
  Result<void> read_to_end() {
    while (true) {
      auto got = read_stream();
      if (!got) return std::unexpected(fail(got.error()));
      if (*got == 0) return {};
    }
  }

  static la_ssize_t read_callback(archive* handle, void* client, const void** data) {
    auto* impl = static_cast<Impl*>(client);
    auto got = impl->read_stream();
    if (!got) {
      impl->stream_error = got.error();
      archive_set_error(handle, EIO, "%s", got.error().message().c_str());
      return -1;
    }
    *data = impl->buffers.current().data();
    return static_cast<la_ssize_t>(*got);
  }

  // Only plain regular files of sane size and name; anything else could write outside the content
  // store, hide data, or exhaust the disk.
  Result<VolumeEntry> check_entry(archive_entry* entry) {
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) return std::unexpected(integrity("an entry has a name that cannot be read"));
    std::string name = raw_name;
    std::string shown = "entry \"" + printable(name) + "\"";
    if (archive_entry_hardlink(entry) != nullptr) {
      return std::unexpected(integrity(shown + " is a hard link: a package carries regular files only"));
    }
    if (archive_entry_symlink(entry) != nullptr) {
      return std::unexpected(integrity(shown + " is a symbolic link: a package carries regular files only"));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) {
      return std::unexpected(
          integrity(fmt::format("{} is {}: a package carries regular files only", shown,
                                describe_type(static_cast<unsigned int>(archive_entry_filetype(entry))))));
    }
    if (name.empty() || name.size() > kMaxEntryNameBytes) {
      return std::unexpected(integrity(fmt::format("{} has a name of {} bytes; a package allows 1 to {}",
                                                   shown, name.size(), kMaxEntryNameBytes)));
    }
    if (archive_entry_size_is_set(entry) == 0 || archive_entry_size(entry) < 0) {
      return std::unexpected(integrity(shown + " has no size"));
    }
    auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
    if (size > kMaxEntryBytes) {
      return std::unexpected(integrity(
          fmt::format("{} claims {} bytes; a package carries files of at most 1 TiB", shown, size)));
    }
    if (archive_entry_sparse_count(entry) > 0) {
      return std::unexpected(integrity(shown + " is a sparse file: a package carries plain files only"));
    }
    if (archive_entry_xattr_count(entry) > 0) {
      return std::unexpected(
          integrity(shown + " carries extended attributes: a package carries plain files only"));
    }
    return VolumeEntry{std::move(name), size};
  }
};

Result<VolumeReader> VolumeReader::open(const std::vector<fs::path>& volumes) {
  return open(volumes, {});
}

Result<VolumeReader> VolumeReader::open(const std::vector<fs::path>& volumes,
                                        const std::vector<Expected>& expected,
                                        std::function<Result<void>(std::size_t)> on_verified) {
  std::vector<std::uint64_t> sizes;
  std::vector<std::string> digests;
  for (const auto& volume : expected) {
    sizes.push_back(volume.size);
    digests.push_back(volume.sha256_hex);
  }
  return open_checked(volumes, sizes, std::move(digests), std::move(on_verified));
}

Result<VolumeReader> VolumeReader::open(const std::vector<fs::path>& volumes,
                                        const std::vector<std::uint64_t>& expected_sizes) {
  return open_checked(volumes, expected_sizes, {}, {});
}

// The digests are in place before archive_read_open, which already reads the first volume's first block.
Result<VolumeReader> VolumeReader::open_checked(const std::vector<fs::path>& volumes,
                                                const std::vector<std::uint64_t>& expected_sizes,
                                                std::vector<std::string> expected_sha256,
                                                std::function<Result<void>(std::size_t)> on_verified) {
  if (volumes.empty()) {
    return make_error(ExitCode::kIntegrity, "the package", "lists no content volumes", kHint);
  }
  if (!expected_sizes.empty() && expected_sizes.size() != volumes.size()) {
    return make_error(ExitCode::kOperational, volumes.front().string(),
                      fmt::format("{} volumes but {} expected sizes", volumes.size(), expected_sizes.size()));
  }
  // Every volume is looked at before the first byte is read, so a missing one is named at once
  // rather than after gigabytes of reading.
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    boost::system::error_code ec;
    if (!fs::is_regular_file(volumes[i], ec)) {
      return make_error(ExitCode::kIntegrity, volumes[i].string(), "is missing",
                        "copy every volume of the package (the manifest lists them) and retry");
    }
    if (!expected_sizes.empty()) {
      std::uintmax_t size = fs::file_size(volumes[i], ec);
      if (ec || size != expected_sizes[i]) {
        return make_error(
            ExitCode::kIntegrity, volumes[i].string(),
            fmt::format("should be {} bytes long but has {}: the volume is truncated or altered",
                        expected_sizes[i], ec ? 0 : size),
            kHint);
      }
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->volumes = volumes;
  impl->expected_sizes = expected_sizes;
  impl->expected_sha256 = std::move(expected_sha256);
  impl->on_verified = std::move(on_verified);
  impl->reader.reset(archive_read_new());
  if (!impl->reader) return make_error(ExitCode::kOperational, volumes.front().string(), "out of memory");
  archive* handle = impl->reader.get();
  // Tar only, and no decompression filter: a package is never compressed, so anything else is not ours.
  if (archive_read_support_format_tar(handle) != ARCHIVE_OK ||
      archive_read_open(handle, impl.get(), nullptr, &Impl::read_callback, nullptr) != ARCHIVE_OK) {
    return std::unexpected(impl->archive_failure());
  }
  VolumeReader reader;
  reader.impl_ = std::move(impl);
  return reader;
}

VolumeReader::VolumeReader(VolumeReader&&) noexcept = default;
VolumeReader& VolumeReader::operator=(VolumeReader&&) noexcept = default;
VolumeReader::~VolumeReader() = default;

Result<std::optional<VolumeEntry>> VolumeReader::next() {
  if (impl_->broken) return std::unexpected(*impl_->broken);
  impl_->in_entry = false;
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(impl_->reader.get(), &entry);
  if (rc == ARCHIVE_EOF) {
    // The writer ends the tar stream in its last volume; a volume after the end was added or reordered.
    if (impl_->next_volume < impl_->volumes.size()) {
      impl_->current = impl_->next_volume;
      return std::unexpected(impl_->integrity("comes after the end of the tar stream"));
    }
    if (auto rest = impl_->read_to_end(); !rest) return std::unexpected(rest.error());
    return std::optional<VolumeEntry>();
  }
  // Warnings too: they mean a header libarchive had to guess about.
  if (rc != ARCHIVE_OK) return std::unexpected(impl_->archive_failure());
  auto checked = impl_->check_entry(entry);
  if (!checked) return std::unexpected(checked.error());
  impl_->in_entry = true;
  return std::optional<VolumeEntry>(std::move(*checked));
}

Result<std::size_t> VolumeReader::read(void* buffer, std::size_t size) {
  if (impl_->broken) return std::unexpected(*impl_->broken);
  if (!impl_->in_entry || size == 0) return 0;
  la_ssize_t got = archive_read_data(impl_->reader.get(), buffer, size);
  if (got < 0) return std::unexpected(impl_->archive_failure());
  return static_cast<std::size_t>(got);
}

Error VolumeReader::explain(Error error) {
  Impl& impl = *impl_;
  if (impl.file && impl.hashing) {
    // libarchive may still point into the stream buffer: the rest is read into a buffer of its own.
    std::vector<char> rest(kIoBlockSize);
    std::size_t got = 0;
    while ((got = std::fread(rest.data(), 1, rest.size(), impl.file.get())) > 0)
      impl.hasher.update_now(rest.data(), got);
    bool read_whole = std::ferror(impl.file.get()) == 0;
    impl.file.reset();
    impl.hashing = false;
    if (read_whole && impl.hasher.finish_hex() != impl.expected_sha256[impl.current]) {
      return impl.digest_mismatch();
    }
  }
  return impl.fail(std::move(error));
}

}  // namespace wsa::verify
