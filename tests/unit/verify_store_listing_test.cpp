// verify::StoreListing, the import's one look at WsusContent per run: the same files as
// list_content_store, files the run placed taken as placed, each file looked at once per run while
// every listing still reads the names, so a file removed since is gone.

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <cctype>

#include "common/digest.h"
#include "common/text.h"
#include "tests/support/catch.h"
#include "tests/support/e2e.h"
#include "tests/support/scenario.h"
#include "tests/support/test_dir.h"
#include "verify/content_store.h"
#include "verify/store_listing.h"

namespace {

using namespace wsa;
namespace fs = boost::filesystem;

// A content file of `bytes` in `content`, "XX/<SHA1>.cab", with the SHA-1 in lower case for `lower`.
std::string write_content(const fs::path& content, const std::string& bytes, bool lower = false) {
  test::TestDir scratch("store-listing-scratch");
  test::write_file(scratch / "file", bytes);
  std::string sha1 = hash_file(scratch / "file").value().sha1_hex;
  std::string name = sha1;
  if (lower) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string path = sha1.substr(38, 2) + "/" + name + ".cab";
  fs::create_directories(content / sha1.substr(38, 2));
  test::write_file(content / path, bytes);
  return path;
}

verify::StoreListing listed(const fs::path& content) {
  verify::StoreListing store(content);
  REQUIRE(store.list());
  return store;
}

}  // namespace

TEST_CASE("a store listing holds the files, sizes and spellings list_content_store finds, and nothing else") {
  test::TestDir dir("store-listing-same");
  fs::path content = test::generate_content(dir, 300, 7);
  test::write_file(content / "readme.txt", "not content");
  test::write_file(content / "0A" / "notes.txt", "not content either");
  std::string lower = write_content(content, "a file named in lower case", true);
  std::string folder_named_like_content = write_content(content, "replaced by a folder");
  fs::remove(content / folder_named_like_content);
  fs::create_directories(content / folder_named_like_content);

  auto expected = verify::list_content_store(content, nullptr);
  REQUIRE(expected);
  auto store = listed(content);
  REQUIRE(store.files().size() == expected->size());
  CHECK(expected->size() == 301);
  for (std::size_t i = 0; i < expected->size(); ++i) {
    const auto& file = store.files()[i];
    CHECK(file.path == (*expected)[i].path);
    CHECK(file.size == (*expected)[i].size);
    CHECK(file.disk_path(content) == (*expected)[i].disk_path);
  }
  auto lower_file = std::find_if(store.files().begin(), store.files().end(),
                                 [&](const auto& file) { return file.found_as == lower; });
  REQUIRE(lower_file != store.files().end());
  CHECK(lower_file->path == to_upper_ascii(lower.substr(0, 43)) + ".cab");
  CHECK(lower_file->size == std::string("a file named in lower case").size());
}

TEST_CASE("a store listing refuses two names equal but for case, in the words of list_content_store") {
  test::TestDir dir("store-listing-case");
  fs::path content = dir / "WsusContent";
  std::string upper = write_content(content, "one file under two names");
  write_content(content, "one file under two names", true);
  // A case-insensitive file system (Windows, Wine) holds one name: nothing to refuse there.
  if (verify::list_content_store(content, nullptr).has_value())
    test::skip_test("the file system ignores case: the two spellings are one file");

  auto expected = verify::list_content_store(content, nullptr);
  REQUIRE_FALSE(expected);
  verify::StoreListing store(content);
  auto refused = store.list();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ExitCode::kOperational);
  CHECK(refused.error().what == expected.error().what);
  CHECK(refused.error().why == expected.error().why);
  CHECK(refused.error().why.starts_with("has the same name, ignoring case, as "));
}

TEST_CASE(
    "a store listing takes placed files at their placed size, looks at each other file once, and "
    "sees every removal") {
  test::TestDir dir("store-listing-known");
  fs::path content = dir / "WsusContent";
  std::string before = write_content(content, "there before the run");
  std::string placed = write_content(content, "placed by the run");
  std::string removed = write_content(content, "placed by the run, then removed");

  verify::StoreListing store(content);
  // The sizes the placement vouches for are taken as they are (7 is not what the disk holds).
  std::vector<verify::ListedFile> known{{placed, {}, 7}, {removed, {}, 31}};
  std::sort(known.begin(), known.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  store.add_known(known);
  fs::remove(content / removed);
  REQUIRE(store.list());
  REQUIRE(store.files().size() == 2);
  auto size_of = [&](const std::string& path) {
    for (const auto& file : store.files()) {
      if (file.path == path) return file.size;
    }
    FAIL("not listed: " << path);
    return std::uint64_t{0};
  };
  CHECK(size_of(placed) == 7);
  CHECK(size_of(before) == std::string("there before the run").size());

  // Looked at once: a later listing takes the size it found, sees a new file and misses a removed one.
  test::write_file(content / before, "there before the run, and longer since");
  std::string added = write_content(content, "added after the first listing");
  fs::remove(content / placed);
  REQUIRE(store.list());
  REQUIRE(store.files().size() == 2);
  CHECK(size_of(before) == std::string("there before the run").size());
  CHECK(size_of(added) == std::string("added after the first listing").size());
}

TEST_CASE(
    "a store listing says what it saw of a name: a regular file with its size, absent, or not looked at") {
  test::TestDir dir("store-listing-find");
  fs::path content = dir / "WsusContent";
  std::string file = write_content(content, "a regular file");
  std::string lower = write_content(content, "a file named in lower case", true);
  std::string folder = write_content(content, "replaced by a folder");
  fs::remove(content / folder);
  fs::create_directories(content / folder);
  test::write_file(content / file.substr(0, 2) / "notes.txt", "not content");
  auto store = listed(content);

  auto regular = store.find(file.substr(0, 2), file.substr(3));
  CHECK(regular.as == verify::ListedAs::kRegular);
  CHECK(regular.size == std::string("a regular file").size());
  std::string absent = std::string(38, 'A') + file.substr(0, 2) + ".cab";  // a content name, not on disk
  CHECK(store.find(file.substr(0, 2), absent).as == verify::ListedAs::kAbsent);
  CHECK(store.find(file.substr(0, 2), "notes.txt").as == verify::ListedAs::kUnknown);
  CHECK(store.find(folder.substr(0, 2), folder.substr(3)).as == verify::ListedAs::kUnknown);
  CHECK(store.find("ZZ", file.substr(3)).as == verify::ListedAs::kUnknown);
  // The canonical spelling of a file listed in lower case: only the file system knows if it reaches it.
  CHECK(store.find(lower.substr(0, 2), to_upper_ascii(lower.substr(3, 40)) + ".cab").as ==
        verify::ListedAs::kUnknown);
  CHECK(store.find(lower.substr(0, 2), lower.substr(3)).as == verify::ListedAs::kRegular);
}
