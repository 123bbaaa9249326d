#include "common/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "common/atomic_file.h"
#include "common/block_pipe.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/progress.h"

namespace wsa {

namespace {
struct MdContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextDeleter>;

MdContext new_context(const EVP_MD* md) {
  MdContext ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) throw std::bad_alloc();
  return ctx;
}

std::string finish_raw(EVP_MD_CTX* ctx, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, out, &length);
  EVP_DigestInit_ex(ctx, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), length);
}

using FileCloser = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

template <class Feed>
Result<std::uint64_t> read_blocks(const boost::filesystem::path& path, Progress* progress, Feed feed) {
  std::string why;
  FileCloser file(platform::open_for_reading(path, &why), &std::fclose);
  if (!file) return make_error(ExitCode::kOperational, path.string(), "cannot open: " + why);
  std::vector<char> buffer(kIoBlockSize);
  std::uint64_t total = 0;
  while (std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get())) {
    feed(buffer.data(), got);
    total += got;
    if (progress != nullptr) progress->advance(got, 0);
  }
  if (std::ferror(file.get())) return make_error(ExitCode::kOperational, path.string(), "read error");
  return total;
}
}  // namespace

struct DualHasher::Contexts {
  MdContext sha256 = new_context(EVP_sha256());
  MdContext sha1 = new_context(EVP_sha1());
};

DualHasher::DualHasher() : contexts_(std::make_unique<Contexts>()) {}
DualHasher::DualHasher(DualHasher&&) noexcept = default;
DualHasher& DualHasher::operator=(DualHasher&&) noexcept = default;
DualHasher::~DualHasher() = default;

void DualHasher::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(contexts_->sha256.get(), data, size);
  EVP_DigestUpdate(contexts_->sha1.get(), data, size);
  size_ += size;
}

void DualHasher::update_sha256(const void* data, std::size_t size) {
  EVP_DigestUpdate(contexts_->sha256.get(), data, size);
  size_ += size;
}

void DualHasher::update_sha1(const void* data, std::size_t size) {
  EVP_DigestUpdate(contexts_->sha1.get(), data, size);
}

Digests DualHasher::finish() {
  Digests digests;
  digests.sha256_hex = to_hex_lower(finish_raw(contexts_->sha256.get(), EVP_sha256()));
  digests.sha1_hex = to_hex_upper(finish_raw(contexts_->sha1.get(), EVP_sha1()));
  digests.size = std::exchange(size_, 0);
  return digests;
}

struct Sha256Hasher::Context {
  MdContext ctx = new_context(EVP_sha256());
};

Sha256Hasher::Sha256Hasher() : context_(std::make_unique<Context>()) {}
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(context_->ctx.get(), data, size);
}

std::string Sha256Hasher::finish_hex() {
  return to_hex_lower(finish_raw(context_->ctx.get(), EVP_sha256()));
}

BackgroundSha256::BackgroundSha256()
    : pipe_(std::make_unique<BlockPipe>(
          [this](const void* data, std::size_t size) { hasher_.update(data, size); }, kBlocksInFlight)) {}

BackgroundSha256::~BackgroundSha256() = default;

void BackgroundSha256::update(const void* data, std::size_t size) {
  pipe_->hand_over(data, size);
}

void BackgroundSha256::update_now(const void* data, std::size_t size) {
  pipe_->wait();
  hasher_.update(data, size);
}

std::string BackgroundSha256::finish_hex() {
  pipe_->wait();
  return hasher_.finish_hex();
}

BackgroundDualHasher::BackgroundDualHasher()
    : sha256_pipe_(std::make_unique<BlockPipe>(
          [this](const void* data, std::size_t size) { hasher_.update_sha256(data, size); },
          kBlocksInFlight)),
      sha1_pipe_(std::make_unique<BlockPipe>(
          [this](const void* data, std::size_t size) { hasher_.update_sha1(data, size); }, kBlocksInFlight)) {
}

BackgroundDualHasher::~BackgroundDualHasher() = default;

void BackgroundDualHasher::update(const void* data, std::size_t size) {
  if (size < kHandOverBytes) {
    sha256_pipe_->wait();
    sha1_pipe_->wait();
    hasher_.update(data, size);
    return;
  }
  sha256_pipe_->hand_over(data, size);
  sha1_pipe_->hand_over(data, size);
}

Digests BackgroundDualHasher::finish() {
  sha256_pipe_->wait();
  sha1_pipe_->wait();
  return hasher_.finish();
}

BlockRing::BlockRing() : blocks_(kBlocksInFlight + 1, std::vector<char>(kIoBlockSize)) {}

std::string sha256_hex(std::string_view bytes) {
  Sha256Hasher hasher;
  hasher.update(bytes.data(), bytes.size());
  return hasher.finish_hex();
}

Result<Digests> hash_file(const boost::filesystem::path& path, Progress* progress) {
  DualHasher hasher;
  auto read =
      read_blocks(path, progress, [&](const char* data, std::size_t size) { hasher.update(data, size); });
  if (!read) return std::unexpected(read.error());
  return hasher.finish();
}

Result<std::string> sha256_file(const boost::filesystem::path& path, Progress* progress) {
  Sha256Hasher hasher;
  auto read =
      read_blocks(path, progress, [&](const char* data, std::size_t size) { hasher.update(data, size); });
  if (!read) return std::unexpected(read.error());
  return hasher.finish_hex();
}

Result<std::string> copy_with_sha256(const boost::filesystem::path& from, AtomicFile& to,
                                     Progress* progress) {
  Sha256Hasher hasher;
  std::optional<Error> write_error;
  auto read = read_blocks(from, progress, [&](const char* data, std::size_t size) {
    if (write_error) return;
    hasher.update(data, size);
    if (auto written = to.write(data, size); !written) write_error = written.error();
  });
  if (!read) return std::unexpected(read.error());
  if (write_error) return std::unexpected(*write_error);
  return hasher.finish_hex();
}

}  // namespace wsa
