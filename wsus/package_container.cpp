#include "wsus/package_container.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include "common/digest.h"
#include "common/platform.h"
#include "common/text.h"

namespace wsa::wsus::detail {

namespace {

namespace fs = boost::filesystem;

const char* const kReexportHint =
    "copy the package again from the export server; if it is wrong there too, run wsusutil export again "
    "(check its log file and the free disk space) and copy the new package";
const char* const kWrongFileHint =
    "pass the package file wsusutil export wrote (a .xml.gz, or a .cab on older servers)";
const char* const kBombHint =
    "no genuine export comes near this: do not import this package; export again on the trusted export "
    "server";

// The cabinet header (CFHEADER) fields the sanity check reads, little-endian.
constexpr std::size_t kCabHeaderBytes = 36;
constexpr std::size_t kGzipMinimumBytes = 18;  // 10-byte header + 8-byte trailer
constexpr std::size_t kInflateOutputBytes = 256 * 1024;

struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileOwner = std::unique_ptr<std::FILE, FileClose>;

struct InflateEnd {
  void operator()(z_stream* stream) const {
    inflateEnd(stream);
    delete stream;
  }
};

struct ArchiveFree {
  void operator()(archive* reader) const { archive_read_free(reader); }
};

std::unexpected<Error> package_error(std::string why, const char* hint) {
  return make_error(ExitCode::kWsusutil, {}, std::move(why), hint);
}

Result<FileOwner> open_package(const fs::path& package) {
  std::string why;
  FileOwner file(platform::open_for_reading(package, &why));
  if (!file) return make_error(ExitCode::kOperational, {}, "cannot be opened: " + why);
  return file;
}

std::uint32_t le32(const unsigned char* bytes) {
  return std::uint32_t{bytes[0]} | std::uint32_t{bytes[1]} << 8 | std::uint32_t{bytes[2]} << 16 |
         std::uint32_t{bytes[3]} << 24;
}
std::uint16_t le16(const unsigned char* bytes) {
  return static_cast<std::uint16_t>(bytes[0] | bytes[1] << 8);
}

std::string hex_bytes(const unsigned char* bytes, std::size_t count) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out.push_back(' ');
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xF]);
  }
  return out;
}

Result<void> check_cab_header(const unsigned char* header, std::uint64_t file_size) {
  if (file_size < kCabHeaderBytes) {
    return package_error(
        "is truncated: " + std::to_string(file_size) + " bytes cannot hold a cabinet header (KB2819484)",
        kReexportHint);
  }
  std::uint32_t declared = le32(header + 8);
  if (file_size < declared) {
    return package_error("is truncated: its cabinet header says " + std::to_string(declared) +
                             " bytes but the file has " + std::to_string(file_size) + " (KB2819484)",
                         kReexportHint);
  }
  if (file_size > declared) {
    return package_error("is longer than its cabinet header says (" + std::to_string(declared) +
                             " bytes, the file has " + std::to_string(file_size) +
                             "): it was damaged or appended to",
                         kReexportHint);
  }
  if (header[25] != 1) {
    return package_error("has cabinet format version " + std::to_string(header[25]) + "." +
                             std::to_string(header[24]) + ", not 1.x",
                         kReexportHint);
  }
  if (le16(header + 26) == 0 || le16(header + 28) == 0 || le32(header + 16) >= declared) {
    return package_error("has a damaged cabinet header (no folders, no files, or a file table past its end)",
                         kReexportHint);
  }
  if ((le16(header + 30) & 0x3) != 0) {
    return package_error("is one part of a multi-cabinet set; wsusutil writes a single cabinet",
                         kWrongFileHint);
  }
  return {};
}

}  // namespace

Result<PackageContainer> identify_package(const fs::path& package) {
  boost::system::error_code error;
  auto status = fs::status(package, error);
  if (!fs::exists(status)) {
    return package_error("does not exist: wsusutil export wrote no package here",
                         "check the path, then wsusutil's log file; run the export again");
  }
  if (!fs::is_regular_file(status)) return package_error("is not a regular file", kWrongFileHint);
  std::uint64_t size = fs::file_size(package, error);
  if (error) return make_error(ExitCode::kOperational, {}, "cannot read its size: " + error.message());
  if (size == 0) {
    return package_error(
        "is empty (0 bytes): wsusutil export produced nothing (KB2819484)",
        "on the export server, check wsusutil's log file and the free disk space, run wsusutil "
        "export again, and copy the new package");
  }

  auto file = open_package(package);
  if (!file) return std::unexpected(std::move(file.error()));
  std::array<unsigned char, kCabHeaderBytes> header{};
  std::size_t got = std::fread(header.data(), 1, header.size(), file->get());

  static constexpr unsigned char kCab[] = {'M', 'S', 'C', 'F'};
  static constexpr unsigned char kGzip[] = {0x1f, 0x8b};
  auto starts_with = [&](const unsigned char* magic, std::size_t magic_size) {
    std::size_t n = std::min(got, magic_size);
    return std::equal(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(n), magic);
  };
  if (got >= sizeof kCab && starts_with(kCab, sizeof kCab)) {
    if (auto checked = check_cab_header(header.data(), size); !checked)
      return std::unexpected(checked.error());
    return PackageContainer::kCab;
  }
  if (got >= sizeof kGzip && starts_with(kGzip, sizeof kGzip)) {
    if (size < kGzipMinimumBytes) {
      return package_error(
          "is truncated: " + std::to_string(size) + " bytes cannot hold a gzip stream (KB2819484)",
          kReexportHint);
    }
    if (header[2] != 8) {
      return package_error("uses gzip compression method " + std::to_string(header[2]) + ", not deflate",
                           kReexportHint);
    }
    return PackageContainer::kGzip;
  }
  if (starts_with(kCab, sizeof kCab) || starts_with(kGzip, sizeof kGzip)) {
    return package_error("is truncated: " + std::to_string(size) + " bytes cannot hold a package (KB2819484)",
                         kReexportHint);
  }
  return package_error("is not a wsusutil export package: starts with bytes " +
                           hex_bytes(header.data(), std::min<std::size_t>(got, 8)) +
                           " where a package starts with \"MSCF\" (cabinet) or 1f 8b (gzip)",
                       kWrongFileHint);
}

Result<std::uint64_t> inflate_gzip(const fs::path& package, std::uint64_t max_uncompressed_bytes,
                                   const ByteSink& sink) {
  auto file = open_package(package);
  if (!file) return std::unexpected(std::move(file.error()));
  std::unique_ptr<z_stream, InflateEnd> stream(new z_stream{});
  // 15 + 16: a gzip wrapper around a full-size deflate window, as gzip and wsusutil write it.
  if (inflateInit2(stream.get(), 15 + 16) != Z_OK) throw std::bad_alloc();

  std::vector<unsigned char> input(kIoBlockSize);
  std::vector<unsigned char> output(kInflateOutputBytes);
  std::uint64_t total = 0;
  bool end_of_file = false;
  bool member_ended = false;
  bool output_full = false;  // inflate may hold more output even when all input is consumed
  z_stream& z = *stream;
  while (true) {
    if (z.avail_in == 0 && !end_of_file) {
      std::size_t got = std::fread(input.data(), 1, input.size(), file->get());
      if (got == 0) {
        if (std::ferror(file->get()) != 0) {
          return make_error(
              ExitCode::kOperational, {},
              "cannot be read: an I/O error after " + std::to_string(total) + " uncompressed bytes");
        }
        end_of_file = true;
      }
      z.next_in = input.data();
      z.avail_in = static_cast<uInt>(got);
    }
    if (member_ended) {
      if (z.avail_in == 0 && end_of_file) break;
      if (z.avail_in == 0) continue;
      // gzip allows several members back to back; anything else after the end marker is not ours.
      if (z.next_in[0] != 0x1f) {
        return package_error("has data after the end of its gzip stream: it was damaged or appended to",
                             kReexportHint);
      }
      inflateReset(&z);
      member_ended = false;
    }
    if (end_of_file && z.avail_in == 0 && !output_full) {
      return package_error("is truncated: the gzip stream ends before its end marker (after " +
                               std::to_string(total) + " uncompressed bytes) (KB2819484)",
                           kReexportHint);
    }
    z.next_out = output.data();
    z.avail_out = static_cast<uInt>(output.size());
    int rc = inflate(&z, Z_NO_FLUSH);
    std::size_t produced = output.size() - z.avail_out;
    output_full = z.avail_out == 0;
    if (produced > 0) {
      total += produced;
      if (total > max_uncompressed_bytes) {
        return package_error("decompresses to more than " + std::to_string(max_uncompressed_bytes) +
                                 " bytes, the reader's limit: refused as a decompression bomb",
                             kBombHint);
      }
      if (sink) {
        auto taken = sink(std::string_view(reinterpret_cast<const char*>(output.data()), produced));
        if (!taken) return std::unexpected(std::move(taken.error()));
      }
    }
    switch (rc) {
      case Z_OK:
      case Z_BUF_ERROR:  // no progress possible: more input is needed, read at the top of the loop
        break;
      case Z_STREAM_END:
        member_ended = true;
        output_full = false;
        break;
      case Z_MEM_ERROR:
        throw std::bad_alloc();
      default:
        return package_error("is damaged: the gzip data is corrupt after " + std::to_string(total) +
                                 " uncompressed bytes (zlib: " + (z.msg != nullptr ? z.msg : "error") + ")",
                             kReexportHint);
    }
  }
  return total;
}

Result<std::uint64_t> read_cab_entries(const fs::path& package, std::uint64_t max_uncompressed_bytes,
                                       std::span<CabEntry> entries) {
  // The FILE must outlive the archive reader that reads it: declared first, destroyed last.
  auto file = open_package(package);
  if (!file) return std::unexpected(std::move(file.error()));
  std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
  if (!reader) throw std::bad_alloc();
  archive* a = reader.get();
  archive_read_support_format_cab(a);
  auto libarchive_says = [&] {
    const char* text = archive_error_string(a);
    return std::string(" (libarchive: ") + (text != nullptr ? text : "unknown error") + ")";
  };
  if (archive_read_open_FILE(a, file->get()) != ARCHIVE_OK) {
    return package_error("is not a readable cabinet" + libarchive_says(), kReexportHint);
  }

  std::uint64_t total = 0;
  auto count = [&](std::uint64_t bytes) -> Result<void> {
    total += bytes;
    if (total > max_uncompressed_bytes) {
      return package_error("decompresses to more than " + std::to_string(max_uncompressed_bytes) +
                               " bytes, the reader's limit: refused as a decompression bomb",
                           kBombHint);
    }
    return {};
  };
  std::vector<char> buffer(kInflateOutputBytes);
  while (true) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return package_error("is damaged: its cabinet cannot be listed" + libarchive_says(), kReexportHint);
    }
    const char* path = archive_entry_pathname(entry);
    std::string name = to_lower_ascii(path != nullptr ? path : "");
    auto wanted =
        std::find_if(entries.begin(), entries.end(), [&](const CabEntry& e) { return e.name == name; });
    if (wanted == entries.end()) {
      auto declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
      if (auto counted = count(static_cast<std::uint64_t>(std::max<la_int64_t>(declared, 0))); !counted) {
        return std::unexpected(counted.error());
      }
      if (archive_read_data_skip(a) < ARCHIVE_WARN) {
        return package_error("is damaged: the cabinet entry " + name + " cannot be read" + libarchive_says(),
                             kReexportHint);
      }
      continue;
    }
    if (wanted->found) {
      return package_error("holds two entries named " + wanted->name + ": refused", kReexportHint);
    }
    wanted->found = true;
    while (true) {
      la_ssize_t got = archive_read_data(a, buffer.data(), buffer.size());
      if (got == 0) break;
      if (got < 0) {
        return package_error(
            "is damaged: the cabinet entry " + wanted->name + " cannot be read" + libarchive_says(),
            kReexportHint);
      }
      if (auto counted = count(static_cast<std::uint64_t>(got)); !counted)
        return std::unexpected(counted.error());
      if (wanted->sink) {
        auto taken = wanted->sink(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
        if (!taken) return std::unexpected(std::move(taken.error()));
      }
    }
  }
  return total;
}

}  // namespace wsa::wsus::detail
