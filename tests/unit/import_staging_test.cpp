// The staging opener creates the files of new content ahead of the copy, on a thread of its own: in
// the inventory's order, only for carried files WsusContent lacks, and never stalls the copy.
#include "import/staging.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/digest.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
namespace fs = boost::filesystem;

namespace {

manifest::InventoryEntry entry_for(const std::string& bytes, bool carried) {
  DualHasher hasher;
  hasher.update(bytes.data(), bytes.size());
  Digests digests = hasher.finish();
  std::string path = digests.sha1_hex.substr(38) + "/" + digests.sha1_hex + ".cab";
  return {path, bytes.size(), digests.sha256_hex, digests.sha1_hex, carried};
}

}  // namespace

TEST_CASE("the staging opener creates the carried files WsusContent lacks, in order, and skips the rest") {
  test::TestDir dir("staging-opener");
  fs::path content = dir / "WsusContent";
  fs::path staging = content / ".wsus-airgap-staging";
  fs::create_directories(staging);
  // 45 files in path order: the second is listed but not carried, the third is already present.
  std::vector<manifest::InventoryEntry> entries;
  for (int i = 0; i < 45; ++i) entries.push_back(entry_for("file " + std::to_string(i), true));
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  entries[1].carried = false;
  fs::create_directories(content / entries[2].path.substr(0, 2));
  test::write_file(content / entries[2].path, "present");
  auto inventory = manifest::InventoryWriter::create(dir / "inventory.tsv").value();
  for (const auto& entry : entries) REQUIRE(inventory.add(entry).has_value());
  REQUIRE(inventory.finish().has_value());
  auto staged = [&](std::size_t position) { return staging / entries[position].path.substr(3); };

  importing::StagingOpener opener(dir / "inventory.tsv", content, staging);
  // Carried file 0 is entries[0]: created empty, and the caller writes it.
  auto first = opener.take(0);
  REQUIRE(first.has_value());
  REQUIRE(first->has_value());
  REQUIRE((*first)->write("abc", 3).has_value());
  REQUIRE((*first)->close().has_value());
  CHECK(test::read_file(staged(0)) == "abc");
  CHECK_FALSE(fs::exists(staging / entries[1].path.substr(3)));  // not carried: never created
  // Carried file 1 is entries[2], present in WsusContent: not created, the caller decides.
  CHECK_FALSE(opener.take(1).has_value());
  CHECK_FALSE(fs::exists(staged(2)));
  // The caller passes over carried file 2 (entries[3], created all the same); asking for carried
  // file 3 lets it go and hands over entries[4].
  auto next = opener.take(3);
  REQUIRE(next.has_value());
  REQUIRE(next->has_value());
  CHECK((*next)->path() == staged(4));
  CHECK(fs::exists(staged(3)));
  // With the queue full (kAhead files created ahead), asking far beyond it still answers.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto late = opener.take(40);  // entries[41]
  REQUIRE(late.has_value());
  REQUIRE(late->has_value());
  CHECK((*late)->path() == staged(41));
  CHECK(opener.take(43).has_value());        // the last one, entries[44]
  CHECK_FALSE(opener.take(44).has_value());  // past the end of the inventory
}

TEST_CASE("the staging opener hands the caller the error of a file it could not create") {
  test::TestDir dir("staging-opener-error");
  fs::path content = dir / "WsusContent";
  fs::create_directories(content);
  auto entry = entry_for("only file", true);
  auto inventory = manifest::InventoryWriter::create(dir / "inventory.tsv").value();
  REQUIRE(inventory.add(entry).has_value());
  REQUIRE(inventory.finish().has_value());

  importing::StagingOpener opener(dir / "inventory.tsv", content, content / "no-such-staging-folder");
  auto file = opener.take(0);
  REQUIRE(file.has_value());
  REQUIRE_FALSE(file->has_value());
  CHECK(file->error().message().find("cannot create") != std::string::npos);
  CHECK(file->error().message().find(entry.sha1_hex) != std::string::npos);
}
