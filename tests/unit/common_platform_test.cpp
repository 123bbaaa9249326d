// The batch durability calls the import pays once per batch instead of an fsync per file.
#include "common/platform.h"

#include <boost/filesystem/operations.hpp>

#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;

TEST_CASE("a batch of unbuffered files is flushed and its folder made durable; a missing folder is named") {
  test::TestDir dir("platform-sync");
  std::vector<boost::filesystem::path> files;
  for (int i = 0; i < 3; ++i) {
    files.push_back(dir / ("f" + std::to_string(i)));
    auto file = platform::OutputFile::open(files.back(), platform::OutputFile::Mode::kCreateNewUnbuffered);
    REQUIRE(file.has_value());
    std::string bytes(1000 + i, 'a');
    REQUIRE(file->write(bytes.data(), bytes.size()).has_value());
    REQUIRE(file->close().has_value());
  }
  // kCreateNewUnbuffered never overwrites.
  auto again = platform::OutputFile::open(files.front(), platform::OutputFile::Mode::kCreateNewUnbuffered);
  CHECK_FALSE(again.has_value());
  CHECK(test::read_file(files[2]) == std::string(1002, 'a'));

  CHECK(platform::sync_files(dir.path(), files).has_value());
  CHECK(platform::sync_folder(dir.path()).has_value());
  auto missing = platform::sync_folder(dir / "absent");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().what == (dir / "absent").string());
}
