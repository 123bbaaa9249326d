#pragma once
// SHA-256 and SHA-1 in one pass over the bytes, with OpenSSL EVP (hardware SHA where the CPU has it).

#include <boost/filesystem/path.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa {

class Progress;
class AtomicFile;

// Raw digests, for tables of many files: 52 bytes a file instead of two hex strings on the heap.
using Sha256Bytes = std::array<unsigned char, 32>;
using Sha1Bytes = std::array<unsigned char, 20>;

// The bytes as a string_view, for to_hex_lower/to_hex_upper (common/encoding.h).
template <std::size_t N>
std::string_view byte_view(const std::array<unsigned char, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

struct Digests {
  std::string sha256_hex;  // 64 lower-case hex characters
  std::string sha1_hex;    // 40 upper-case hex characters (the WsusContent naming convention)
  std::uint64_t size = 0;
};

// Feeds the same bytes to SHA-256 and SHA-1. Not thread-safe; one per stream.
class DualHasher {
 public:
  DualHasher();
  DualHasher(DualHasher&&) noexcept;
  DualHasher& operator=(DualHasher&&) noexcept;
  ~DualHasher();
  void update(const void* data, std::size_t size);
  // The two digests fed apart, each from one thread (two threads at once are fine); the size
  // counted is update_sha256's.
  void update_sha256(const void* data, std::size_t size);
  void update_sha1(const void* data, std::size_t size);
  // Returns the digests and resets for another stream.
  Digests finish();

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
  std::uint64_t size_ = 0;
};

// Only SHA-256 (manifests, volumes, inventories).
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();
  void update(const void* data, std::size_t size);
  std::string finish_hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

class BlockPipe;

// How many blocks a background digest may have waiting: a reader hands them over from a ring of
// kBlocksInFlight + 1 buffers, so a digest slow on one block does not stall the reader.
inline constexpr std::size_t kBlocksInFlight = 3;

// SHA-256 of a stream hashed on a thread of its own (common/block_pipe.h), so a reader that also
// unpacks, hashes and writes what it reads gets the second core for this digest. update() hands the
// block over and returns at once, after waiting until fewer than kBlocksInFlight blocks wait: the
// caller leaves the bytes alone until kBlocksInFlight more calls (a ring of kBlocksInFlight + 1
// buffers used in turn does).
class BackgroundSha256 {
 public:
  BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;
  ~BackgroundSha256();
  void update(const void* data, std::size_t size);
  // Hashes the bytes on the calling thread, after the block in flight: for a buffer reused at once.
  void update_now(const void* data, std::size_t size);
  // Waits for the block in flight; returns the digest and starts a new stream.
  std::string finish_hex();

 private:
  Sha256Hasher hasher_;
  std::unique_ptr<BlockPipe> pipe_;  // after hasher_: its thread stops before hasher_ goes
};

// DualHasher on threads of their own, one per digest (SHA-256 and SHA-1 of a large file take about
// as long as copying it; two threads let the scheduler spread them over both cores with the reader
// and the volume's digest), with the same contract as BackgroundSha256::update. A block
// smaller than kHandOverBytes is hashed on the calling thread: for a small file, handing it over
// would cost more than it saves.
class BackgroundDualHasher {
 public:
  static constexpr std::size_t kHandOverBytes = 256 * 1024;
  BackgroundDualHasher();
  BackgroundDualHasher(const BackgroundDualHasher&) = delete;
  BackgroundDualHasher& operator=(const BackgroundDualHasher&) = delete;
  ~BackgroundDualHasher();
  void update(const void* data, std::size_t size);
  // Waits for the block in flight; returns the digests and resets for another stream.
  Digests finish();

 private:
  DualHasher hasher_;
  // After hasher_: their threads stop before hasher_ goes.
  std::unique_ptr<BlockPipe> sha256_pipe_;
  std::unique_ptr<BlockPipe> sha1_pipe_;
};

// The buffers a reader hands to background digests: kBlocksInFlight + 1 blocks of kIoBlockSize,
// used in turn, so the one next() returns is no longer in flight.
class BlockRing {
 public:
  BlockRing();
  std::vector<char>& next() {
    turn_ = (turn_ + 1) % blocks_.size();
    return blocks_[turn_];
  }
  std::vector<char>& current() { return blocks_[turn_]; }

 private:
  std::vector<std::vector<char>> blocks_;
  std::size_t turn_ = 0;
};

std::string sha256_hex(std::string_view bytes);

// Reads the file once, in 1 MiB blocks, feeding both digests. `progress` may be null.
Result<Digests> hash_file(const boost::filesystem::path& path, Progress* progress = nullptr);
// SHA-256 only, one pass.
Result<std::string> sha256_file(const boost::filesystem::path& path, Progress* progress = nullptr);
// Copies the file into `to` (left uncommitted) in the same single pass that hashes it, and returns the
// SHA-256 of the bytes written: the caller commits only a copy whose digest it trusts.
Result<std::string> copy_with_sha256(const boost::filesystem::path& from, AtomicFile& to,
                                     Progress* progress = nullptr);

// The block size every streaming reader and copier uses.
inline constexpr std::size_t kIoBlockSize = 1 << 20;

}  // namespace wsa
