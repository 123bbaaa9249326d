#include "common/digest.h"

#include <random>
#include <string>
#include <vector>

#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;

TEST_CASE("one pass gives the SHA-256 and SHA-1 that the standard test vectors give") {
  DualHasher hasher;
  hasher.update("ab", 2);
  hasher.update("c", 1);
  auto digests = hasher.finish();
  CHECK(digests.sha256_hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digests.sha1_hex == "A9993E364706816ABA3E25717850C26C9CD0D89D");
  CHECK(digests.size == 3);
}

TEST_CASE("hashing a file reads it whole, and a missing file is an error naming it") {
  test::TestDir dir("hash-file");
  test::write_file(dir / "f.bin", std::string(3 * kIoBlockSize + 7, 'x'));
  auto digests = hash_file(dir / "f.bin");
  REQUIRE(digests.has_value());
  CHECK(digests->size == 3 * kIoBlockSize + 7);
  CHECK(digests->sha256_hex == sha256_file(dir / "f.bin").value());
  auto missing = hash_file(dir / "nope.bin");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().what.find("nope.bin") != std::string::npos);
}

TEST_CASE("digests hashed on their own thread equal the same digests hashed in line, block sizes mixed") {
  // Blocks from 1 byte to 1 MiB, above and below the size handed over, from a ring of buffers used in
  // turn as the volume reader and the placer use them.
  std::mt19937 random(11);
  BlockRing buffers;
  const std::size_t sizes[] = {1,
                               4096,
                               BackgroundDualHasher::kHandOverBytes - 1,
                               BackgroundDualHasher::kHandOverBytes,
                               kIoBlockSize,
                               7,
                               kIoBlockSize,
                               300000};
  DualHasher in_line;
  Sha256Hasher in_line_sha256;
  BackgroundDualHasher background;
  BackgroundSha256 background_sha256;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t size : sizes) {
      std::vector<char>& block = buffers.next();
      for (std::size_t i = 0; i < size; ++i) block[i] = static_cast<char>(random());
      in_line.update(block.data(), size);
      in_line_sha256.update(block.data(), size);
      background.update(block.data(), size);
      background_sha256.update(block.data(), size);
    }
    // update_now hashes a buffer the caller reuses at once, after the block in flight.
    std::string tail = "the last bytes of round " + std::to_string(round);
    in_line_sha256.update(tail.data(), tail.size());
    background_sha256.update_now(tail.data(), tail.size());
    tail.assign(tail.size(), 'x');

    Digests expected = in_line.finish();
    Digests got = background.finish();
    CHECK(got.sha256_hex == expected.sha256_hex);
    CHECK(got.sha1_hex == expected.sha1_hex);
    CHECK(got.size == expected.size);
    CHECK(background_sha256.finish_hex() == in_line_sha256.finish_hex());  // and each starts anew
  }
  CHECK(background.finish().sha256_hex == sha256_hex(""));
  CHECK(background_sha256.finish_hex() == sha256_hex(""));
}
