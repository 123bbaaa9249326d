#include "tests/sim/cab_writer.h"

#include <zlib.h>
#include <boost/filesystem/operations.hpp>

#include <array>
#include <cstdio>
#include <limits>
#include <memory>

#include "common/atomic_file.h"

namespace wsa::sim {

namespace {

// MS-CAB fixes the uncompressed size of every CFDATA block but the last of a folder.
constexpr std::size_t kBlockSize = 32768;
constexpr std::size_t kHeaderSize = 36;
constexpr std::size_t kFolderSize = 8;
constexpr std::size_t kFileFixedSize = 16;
constexpr std::uint16_t kArchiveAttribute = 0x20;

void put16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value & 0xFF));
  out.push_back(static_cast<char>(value >> 8));
}

void put32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

struct DeflateEnd {
  void operator()(z_stream* stream) const {
    deflateEnd(stream);
    delete stream;
  }
};
using DeflateStream = std::unique_ptr<z_stream, DeflateEnd>;

// The compressed blocks go to a spool file first: CFHEADER and CFFILE need totals that are known only
// once every entry has been produced, and the output is written front to back without seeking.
class BlockSpool {
 public:
  BlockSpool(fs::path path, CabCompression compression) : path_(std::move(path)), compression_(compression) {}
  BlockSpool(const BlockSpool&) = delete;
  BlockSpool& operator=(const BlockSpool&) = delete;
  ~BlockSpool() {
    file_.reset();
    boost::system::error_code ignored;
    fs::remove(path_, ignored);
  }

  Result<void> open() {
    file_.reset(std::fopen(path_.string().c_str(), "w+b"));
    if (!file_)
      return make_error(ExitCode::kOperational, path_.string(), "cannot create the cabinet spool file");
    if (compression_ == CabCompression::kMszip) {
      deflate_.reset(new z_stream{});
      // Raw deflate (negative window bits): MSZIP carries no zlib header, only its "CK" signature.
      if (deflateInit2(deflate_.get(), Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        deflate_.reset();
        return make_error(ExitCode::kOperational, path_.string(), "cannot initialise deflate");
      }
    }
    return {};
  }

  // Appends uncompressed bytes of the folder's stream, emitting a CFDATA block per 32 KiB.
  void append(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t take = std::min(bytes.size(), kBlockSize - pending_.size());
      pending_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (pending_.size() == kBlockSize) emit_block();
    }
  }

  // Emits the last, possibly short, block and rewinds for copying.
  Result<void> finish() {
    if (!pending_.empty()) emit_block();
    if (failed_ || std::fflush(file_.get()) != 0) {
      return make_error(ExitCode::kOperational, path_.string(), "cannot write the cabinet spool file",
                        "check free space");
    }
    std::rewind(file_.get());
    return {};
  }

  std::FILE* file() const { return file_.get(); }
  std::uint64_t block_count() const { return blocks_; }
  std::uint64_t spooled_bytes() const { return spooled_; }

 private:
  void emit_block() {
    std::string payload;
    if (compression_ == CabCompression::kMszip) {
      payload = "CK" + compress_block();
    } else {
      payload = pending_;
    }
    std::string header;
    put32(header, 0);
    put16(header, static_cast<std::uint16_t>(payload.size()));
    put16(header, static_cast<std::uint16_t>(pending_.size()));
    // The checksum covers the payload first, then the cbData/cbUncomp fields (MS-CAB 2.4).
    std::uint32_t sum =
        cab_checksum(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), 0);
    sum = cab_checksum(reinterpret_cast<const unsigned char*>(header.data()) + 4, 4, sum);
    std::string sum_bytes;
    put32(sum_bytes, sum);
    header.replace(0, 4, sum_bytes);
    if (std::fwrite(header.data(), 1, header.size(), file_.get()) != header.size() ||
        std::fwrite(payload.data(), 1, payload.size(), file_.get()) != payload.size()) {
      failed_ = true;
    }
    spooled_ += header.size() + payload.size();
    ++blocks_;
    previous_.swap(pending_);
    pending_.clear();
  }

  std::string compress_block() {
    z_stream* z = deflate_.get();
    deflateReset(z);
    // MSZIP decoders keep the previous block as the window, so priming the encoder with it is what
    // cabinet.dll does and what a reader must handle; it also compresses XML far better.
    if (!previous_.empty()) {
      deflateSetDictionary(z, reinterpret_cast<const Bytef*>(previous_.data()),
                           static_cast<uInt>(previous_.size()));
    }
    std::string out(deflateBound(z, static_cast<uLong>(pending_.size())) + 64, '\0');
    z->next_in = reinterpret_cast<Bytef*>(pending_.data());
    z->avail_in = static_cast<uInt>(pending_.size());
    z->next_out = reinterpret_cast<Bytef*>(out.data());
    z->avail_out = static_cast<uInt>(out.size());
    if (deflate(z, Z_FINISH) != Z_STREAM_END) failed_ = true;
    out.resize(out.size() - z->avail_out);
    return out;
  }

  fs::path path_;
  CabCompression compression_;
  FileHandle file_;
  DeflateStream deflate_;
  std::string pending_;
  std::string previous_;
  std::uint64_t blocks_ = 0;
  std::uint64_t spooled_ = 0;
  bool failed_ = false;
};

}  // namespace

std::uint32_t cab_checksum(const unsigned char* data, std::size_t size, std::uint32_t seed) {
  std::uint32_t sum = seed;
  std::size_t i = 0;
  for (; i + 4 <= size; i += 4) {
    sum ^= static_cast<std::uint32_t>(data[i]) | (static_cast<std::uint32_t>(data[i + 1]) << 8) |
           (static_cast<std::uint32_t>(data[i + 2]) << 16) | (static_cast<std::uint32_t>(data[i + 3]) << 24);
  }
  // The 1-3 trailing bytes are folded in most-significant first: a quirk of the original algorithm.
  std::uint32_t tail = 0;
  switch (size - i) {
    case 3:
      tail |= static_cast<std::uint32_t>(data[i++]) << 16;
      [[fallthrough]];
    case 2:
      tail |= static_cast<std::uint32_t>(data[i++]) << 8;
      [[fallthrough]];
    case 1:
      tail |= data[i];
      break;
    default:
      break;
  }
  return sum ^ tail;
}

void dos_date_time(std::string_view iso_time, std::uint16_t& dos_date, std::uint16_t& dos_time) {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const std::string text(iso_time);
  if (std::sscanf(text.c_str(), "%4u-%2u-%2uT%2u:%2u:%2u", &year, &month, &day, &hour, &minute, &second) !=
          6 ||
      year < 1980 || year > 2107 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 59) {
    return;
  }
  dos_date = static_cast<std::uint16_t>(((year - 1980) << 9) | (month << 5) | day);
  dos_time = static_cast<std::uint16_t>((hour << 11) | (minute << 5) | (second / 2));
}

Result<void> write_cabinet(const fs::path& target, const std::vector<CabinetEntry>& entries,
                           const CabinetOptions& options) {
  if (entries.size() > std::numeric_limits<std::uint16_t>::max()) {
    return make_error(ExitCode::kOperational, target.string(), "too many entries for one cabinet");
  }
  fs::path spool_path = target;
  spool_path += ".spool";
  BlockSpool spool(spool_path, options.compression);
  if (auto opened = spool.open(); !opened) return opened;

  std::vector<std::uint32_t> sizes;
  std::vector<std::uint32_t> offsets;
  std::uint64_t folder_offset = 0;
  for (const auto& entry : entries) {
    std::uint64_t size = 0;
    entry.produce([&](std::string_view bytes) {
      size += bytes.size();
      spool.append(bytes);
    });
    // CFFILE sizes and offsets are 32-bit: the very limit behind the real "zero-byte export" bug.
    if (folder_offset + size > std::numeric_limits<std::uint32_t>::max()) {
      return make_error(
          ExitCode::kOperational, target.string(),
          "the cabinet would exceed the 4 GB limit of the CAB format (entry " + entry.name + ")");
    }
    offsets.push_back(static_cast<std::uint32_t>(folder_offset));
    sizes.push_back(static_cast<std::uint32_t>(size));
    folder_offset += size;
  }
  if (auto finished = spool.finish(); !finished) return finished;
  if (spool.block_count() > std::numeric_limits<std::uint16_t>::max()) {
    return make_error(ExitCode::kOperational, target.string(), "too many data blocks for one cabinet folder");
  }

  std::size_t files_size = 0;
  for (const auto& entry : entries) files_size += kFileFixedSize + entry.name.size() + 1;
  const std::size_t data_start = kHeaderSize + kFolderSize + files_size;
  const std::uint64_t cabinet_size = data_start + spool.spooled_bytes();
  if (cabinet_size > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(ExitCode::kOperational, target.string(), "the cabinet would exceed the 4 GB limit");
  }

  std::string head;
  head += "MSCF";
  put32(head, 0);
  put32(head, static_cast<std::uint32_t>(cabinet_size));
  put32(head, 0);
  put32(head, static_cast<std::uint32_t>(kHeaderSize + kFolderSize));  // coffFiles
  put32(head, 0);
  head.push_back(3);  // versionMinor
  head.push_back(1);  // versionMajor
  put16(head, 1);     // cFolders
  put16(head, static_cast<std::uint16_t>(entries.size()));
  put16(head, 0);       // flags: no reserve, no previous or next cabinet
  put16(head, 0x5753);  // setID ("WS")
  put16(head, 0);       // iCabinet
  put32(head, static_cast<std::uint32_t>(data_start));
  put16(head, static_cast<std::uint16_t>(spool.block_count()));
  put16(head, static_cast<std::uint16_t>(options.compression));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    put32(head, sizes[i]);
    put32(head, offsets[i]);
    put16(head, 0);  // iFolder
    put16(head, options.dos_date);
    put16(head, options.dos_time);
    put16(head, kArchiveAttribute);
    head += entries[i].name;
    head.push_back('\0');
  }

  auto out = AtomicFile::create(target);
  if (!out) return std::unexpected(out.error());
  if (auto written = out->write(head); !written) return written;
  std::array<char, 1 << 16> buffer{};
  while (std::size_t got = std::fread(buffer.data(), 1, buffer.size(), spool.file())) {
    if (auto written = out->write(buffer.data(), got); !written) return written;
  }
  if (std::ferror(spool.file())) return make_error(ExitCode::kOperational, spool_path.string(), "read error");
  return out->commit();
}

}  // namespace wsa::sim
