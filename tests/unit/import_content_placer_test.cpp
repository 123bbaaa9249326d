// Safe extraction: only the signed inventory's next file, under its own `XX/<SHA1>.ext` name, as a
// plain file with exactly the inventoried bytes, ever reaches WsusContent.
#include "import/content_placer.h"

#include <archive.h>
#include <archive_entry.h>
#include <boost/filesystem/operations.hpp>

#include "common/digest.h"
#include "manifest/inventory.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"
#include "tests/support/test_dir.h"

using namespace wsa;
namespace fs = boost::filesystem;

namespace {

struct TarEntry {
  std::string name;
  std::string data;
  const char* symlink = nullptr;
};

void write_tar(const fs::path& file, const std::vector<TarEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, file.string().c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    if (e.symlink != nullptr) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.symlink);
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    }
    archive_entry_set_perm(entry, 0644);
    archive_write_header(a, entry);
    if (e.symlink == nullptr) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

struct ContentFixture {
  std::string bytes;
  std::string path;  // XX/<SHA1>.cab
  Digests digests;
};

ContentFixture content_file(const std::string& bytes) {
  DualHasher hasher;
  hasher.update(bytes.data(), bytes.size());
  ContentFixture fixture{bytes, "", hasher.finish()};
  fixture.path = fixture.digests.sha1_hex.substr(38) + "/" + fixture.digests.sha1_hex + ".cab";
  return fixture;
}

// A package whose inventory lists `listed` (all carried) and whose one volume holds `entries`.
verify::VerifiedPackage make_package(const fs::path& dir, std::vector<ContentFixture> listed,
                                     const std::vector<TarEntry>& entries) {
  fs::create_directories(dir);
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  auto inventory = manifest::InventoryWriter::create(dir / "inventory.tsv").value();
  for (const auto& f : listed) {
    REQUIRE(
        inventory.add({f.path, f.bytes.size(), f.digests.sha256_hex, f.digests.sha1_hex, true}).has_value());
  }
  REQUIRE(inventory.finish().has_value());
  write_tar(dir / "content.tar.000", entries);
  verify::VerifiedPackage package;
  package.found = {1, "wsus-airgap-000001", dir};
  package.inventory = dir / "inventory.tsv";
  package.volumes = {dir / "content.tar.000"};
  return package;
}

Result<importing::Placement> place(const test::TestDir& dir, const verify::VerifiedPackage& package) {
  fs::create_directories(dir / "WsusContent");
  return importing::place_content(package, dir / "WsusContent", nullptr);
}

void require_refused(const Result<importing::Placement>& result, const std::string& words,
                     const test::TestDir& dir) {
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ExitCode::kIntegrity);
  INFO(result.error().message());
  CHECK(result.error().message().find(words) != std::string::npos);
  CHECK(test::snapshot(dir / "WsusContent").empty());
  CHECK_FALSE(fs::exists(dir / "WsusContent" / ".wsus-airgap-staging"));
}

}  // namespace

TEST_CASE("placing a verified package puts each file at XX/<SHA1>.ext and leaves no staging folder") {
  test::TestDir dir("placer-good");
  auto a = content_file("first file");
  auto b = content_file(std::string(3 * kIoBlockSize + 5, 'b'));
  std::vector<ContentFixture> listed{a, b};
  std::sort(listed.begin(), listed.end(), [](const auto& x, const auto& y) { return x.path < y.path; });
  auto package = make_package(dir / "pkg", listed,
                              {{listed[0].path, listed[0].bytes}, {listed[1].path, listed[1].bytes}});
  auto placed = place(dir, package);
  REQUIRE(placed.has_value());
  CHECK(placed->files_placed == 2);
  CHECK(test::read_file(dir / "WsusContent" / a.path) == a.bytes);
  CHECK(test::read_file(dir / "WsusContent" / b.path) == b.bytes);
  CHECK_FALSE(fs::exists(dir / "WsusContent" / ".wsus-airgap-staging"));

  // Placing again leaves the files alone.
  auto again = place(dir, package);
  REQUIRE(again.has_value());
  CHECK(again->files_placed == 0);
  CHECK(again->files_already_present == 2);
}

TEST_CASE(
    "entries whose names could escape WsusContent or that Windows would store elsewhere are refused before "
    "anything is written") {
  auto good = content_file("payload");
  const std::string sha = good.digests.sha1_hex;
  for (const std::string& hostile :
       {std::string("../") + sha + ".cab", "/etc/" + sha + ".cab", "C:/Windows/" + sha + ".cab",
        good.path + ":Zone.Identifier", "\\\\server\\share\\" + sha + ".cab", std::string("..\\..\\evil.exe"),
        good.path.substr(0, 2) + "/../../" + sha + ".cab",
        // What Windows would store under another name or not as a file at all: a trailing dot or
        // space, a device name, a stream.
        good.path + ".", good.path + " ", good.path.substr(0, 3) + "CON", good.path.substr(0, 3) + "NUL.cab",
        good.path.substr(0, 3) + "COM1", "AUX/" + sha + ".cab", good.path + "::$DATA"}) {
    test::TestDir dir("placer-hostile-name");
    auto package = make_package(dir / "pkg", {good}, {{hostile, good.bytes}});
    require_refused(place(dir, package), "is not a WsusContent name (XX/<SHA1>.ext); refusing to extract it",
                    dir);
  }
}

TEST_CASE("a symbolic link entry is refused") {
  test::TestDir dir("placer-symlink");
  auto good = content_file("payload");
  auto package = make_package(dir / "pkg", {good}, {TarEntry{good.path, "", "/etc/passwd"}});
  auto result = place(dir, package);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ExitCode::kIntegrity);
  CHECK(test::snapshot(dir / "WsusContent").empty());
}

TEST_CASE("a duplicate, extra or reordered entry is refused") {
  auto a = content_file("aaaa");
  auto b = content_file("bbbb");
  std::vector<ContentFixture> listed{a, b};
  std::sort(listed.begin(), listed.end(), [](const auto& x, const auto& y) { return x.path < y.path; });
  {
    test::TestDir dir("placer-duplicate");
    auto package = make_package(dir / "pkg", {listed[0]},
                                {{listed[0].path, listed[0].bytes}, {listed[0].path, listed[0].bytes}});
    auto result = place(dir, package);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().why.find("is not the next file the signed inventory lists") != std::string::npos);
  }
  {
    test::TestDir dir("placer-reordered");
    auto package = make_package(dir / "pkg", listed,
                                {{listed[1].path, listed[1].bytes}, {listed[0].path, listed[0].bytes}});
    require_refused(place(dir, package), "is not the next file the signed inventory lists", dir);
  }
  {
    test::TestDir dir("placer-short");
    auto package = make_package(dir / "pkg", listed, {{listed[0].path, listed[0].bytes}});
    auto result = place(dir, package);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().why == "the volumes end before " + listed[1].path);
  }
}

TEST_CASE("bytes that differ from the inventory never reach WsusContent") {
  test::TestDir dir("placer-bad-bytes");
  auto good = content_file("the real bytes");
  std::string forged = good.bytes;
  forged[0] = 'X';
  auto package = make_package(dir / "pkg", {good}, {{good.path, forged}});
  require_refused(place(dir, package), "do not match the signed inventory", dir);
}
