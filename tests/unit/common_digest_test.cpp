#include "common/digest.h"
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
