// verify::scan_content_store and list_content_store against generated WsusContent trees: the parallel
// walk, the hash cache read beside the listing, names whose case differs from the canonical one.

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <cctype>

#include "common/digest.h"
#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/e2e.h"
#include "tests/support/scenario.h"
#include "tests/support/test_dir.h"
#include "verify/content_store.h"

namespace {

using namespace wsa;
namespace fs = boost::filesystem;

verify::ContentListing scan(const fs::path& content, state::Ledger* ledger, unsigned threads) {
  verify::ScanOptions options;
  options.threads = threads;
  auto listing = verify::scan_content_store(content, ledger, options);
  REQUIRE(listing);
  return std::move(*listing);
}

}  // namespace

TEST_CASE("the walk on four threads lists the same files, digests and foreign names as on one thread") {
  test::TestDir dir("scan-parallel");
  fs::path content = test::generate_content(dir, 600, 5);
  test::write_file(content / "readme.txt", "not content");
  fs::create_directories(content / "0A");
  test::write_file(content / "0A" / "notes.txt", "not content either");

  auto serial = scan(content, nullptr, 1);
  auto parallel = scan(content, nullptr, 4);
  REQUIRE(serial.files.size() == 600);
  REQUIRE(parallel.files.size() == serial.files.size());
  for (std::size_t i = 0; i < serial.files.size(); ++i) {
    const auto& a = serial.files[i];
    const auto& b = parallel.files[i];
    CHECK(a.path == b.path);
    CHECK(a.size == b.size);
    CHECK(a.mtime_ns == b.mtime_ns);
    CHECK(a.file_id == b.file_id);
    CHECK(a.sha256 == b.sha256);
    CHECK(a.sha1 == b.sha1);
    CHECK(a.name_matches());
  }
  CHECK(std::is_sorted(parallel.files.begin(), parallel.files.end(),
                       [](const auto& a, const auto& b) { return a.path < b.path; }));
  CHECK(serial.foreign_files == parallel.foreign_files);
  CHECK(parallel.foreign_files ==
        std::vector<fs::path>{content / "readme.txt", content / "0A" / "notes.txt"});
  CHECK(serial.total_bytes == parallel.total_bytes);
  CHECK(parallel.hashed_files == 600);

  auto listed = verify::list_content_store(content, nullptr);
  REQUIRE(listed);
  REQUIRE(listed->size() == serial.files.size());
  CHECK(listed->front().path == serial.files.front().path);
  CHECK(listed->front().disk_path == content / serial.files.front().path);
}

TEST_CASE("a re-scan takes unchanged files from the hash cache and hashes only the one that changed") {
  test::TestDir dir("scan-cache");
  fs::path content = test::generate_content(dir, 300, 5);
  auto ledger = state::Ledger::open(dir / "export.sqlite");
  REQUIRE(ledger);
  auto first = scan(content, &*ledger, 2);
  CHECK(first.hashed_files == 300);
  CHECK(first.cached_files == 0);

  const verify::ContentFile& changed = first.files[123];
  fs::path changed_path = first.disk_path(changed);
  std::string bytes = test::read_file(changed_path);
  bytes[0] = static_cast<char>(bytes[0] ^ 1);
  test::write_file(changed_path, bytes);  // same size, new time and bytes
  fs::last_write_time(changed_path, fs::last_write_time(changed_path) + 5);

  auto second = scan(content, &*ledger, 2);
  CHECK(second.hashed_files == 1);
  CHECK(second.cached_files == 299);
  REQUIRE(second.files.size() == 300);
  CHECK_FALSE(second.files[123].from_cache);
  CHECK_FALSE(second.files[123].name_matches());
  CHECK(second.files[123].sha256_hex() == hash_file(changed_path).value().sha256_hex);
  for (std::size_t i = 0; i < 300; ++i) {
    if (i == 123) continue;
    CHECK(second.files[i].from_cache);
    CHECK(second.files[i].sha256 == first.files[i].sha256);
  }
}

TEST_CASE("a file named in lower case is listed under its canonical name and read where it is") {
  test::TestDir dir("scan-case");
  const std::string bytes = "lower-case payload";
  test::write_file(dir / "scratch.bin", bytes);
  auto digests = hash_file(dir / "scratch.bin").value();
  std::string lower = digests.sha1_hex;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fs::path content = dir / "WsusContent";
  fs::create_directories(content / lower.substr(38, 2));
  test::write_file(content / lower.substr(38, 2) / (lower + ".CAB"), bytes);

  auto listing = scan(content, nullptr, 2);
  REQUIRE(listing.files.size() == 1);
  const auto& file = listing.files[0];
  CHECK(file.path == digests.sha1_hex.substr(38, 2) + "/" + digests.sha1_hex + ".CAB");
  CHECK(file.found_as == lower.substr(38, 2) + "/" + lower + ".CAB");
  CHECK(listing.disk_path(file) == content / lower.substr(38, 2) / (lower + ".CAB"));
  CHECK(file.sha256_hex() == digests.sha256_hex);
  CHECK(file.sha1_hex() == digests.sha1_hex);
  CHECK(file.name_matches());
}
