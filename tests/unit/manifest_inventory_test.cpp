#include <boost/filesystem/operations.hpp>

#include <algorithm>

#include "common/digest.h"
#include "common/encoding.h"
#include "manifest/inventory.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::manifest;

namespace {

// A content file whose name is derived from `seed`, like WsusContent's XX/<SHA1>.ext.
InventoryEntry entry_for(int seed, const std::string& extension = "cab") {
  InventoryEntry entry;
  entry.sha1_hex = to_hex_upper(from_hex(sha256_hex("file " + std::to_string(seed)).substr(0, 40)).value());
  entry.path = entry.sha1_hex.substr(38, 2) + "/" + entry.sha1_hex + "." + extension;
  entry.size = static_cast<std::uint64_t>(seed) * 1000 + 1;
  entry.sha256_hex = sha256_hex("bytes " + std::to_string(seed));
  entry.carried = seed % 3 == 0;
  return entry;
}

std::vector<InventoryEntry> sorted_entries(int count) {
  std::vector<InventoryEntry> entries;
  for (int i = 0; i < count; ++i) entries.push_back(entry_for(i));
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return entries;
}

std::string line_of(const InventoryEntry& e) {
  return e.path + "\t" + std::to_string(e.size) + "\t" + e.sha256_hex + "\t" + e.sha1_hex + "\t" +
         (e.carried ? "1" : "0") + "\n";
}

const std::string kHeader = "# wsus-airgap inventory v1\n";

// Reads the whole file; returns the first error's `why` (empty when it reads to the end).
std::string why_refused(const test::TestDir& dir, const std::string& contents,
                        std::size_t* entries_read = nullptr) {
  auto file = dir / "inventory.tsv";
  test::write_file(file, contents);
  auto reader = InventoryReader::open(file);
  if (!reader) {
    CHECK(reader.error().code == ExitCode::kIntegrity);
    CHECK(reader.error().what == file.string());
    return reader.error().why;
  }
  std::size_t read = 0;
  while (true) {
    auto next = reader->next();
    if (!next) {
      CHECK(next.error().code == ExitCode::kIntegrity);
      CHECK(next.error().what == file.string());
      // An error is sticky: the caller cannot read past it by accident.
      auto again = reader->next();
      CHECK_FALSE(again.has_value());
      if (!again) CHECK(again.error().why == next.error().why);
      if (entries_read != nullptr) *entries_read = read;
      return next.error().why;
    }
    if (!next->has_value()) break;
    ++read;
  }
  if (entries_read != nullptr) *entries_read = read;
  return {};
}

}  // namespace

TEST_CASE("an inventory of many entries writes and reads back entry for entry, with matching summaries") {
  test::TestDir dir("inventory-round-trip");
  auto entries = sorted_entries(5000);
  auto writer = InventoryWriter::create(dir / "inventory.tsv");
  REQUIRE(writer.has_value());
  for (const auto& entry : entries) REQUIRE(writer->add(entry).has_value());
  CHECK_FALSE(boost::filesystem::exists(dir / "inventory.tsv"));  // appears only when finished
  auto summary = writer->finish();
  REQUIRE(summary.has_value());

  std::uint64_t total = 0, carried_count = 0, carried_bytes = 0;
  for (const auto& e : entries) {
    total += e.size;
    carried_count += e.carried ? 1 : 0;
    carried_bytes += e.carried ? e.size : 0;
  }
  CHECK(summary->file.name == "inventory.tsv");
  CHECK(summary->file.size == boost::filesystem::file_size(dir / "inventory.tsv"));
  CHECK(summary->file.sha256_hex == sha256_file(dir / "inventory.tsv").value());
  CHECK(summary->file_count == 5000);
  CHECK(summary->total_bytes == total);
  CHECK(summary->carried_count == carried_count);
  CHECK(summary->carried_bytes == carried_bytes);

  auto reader = InventoryReader::open(dir / "inventory.tsv");
  REQUIRE(reader.has_value());
  std::size_t index = 0;
  while (true) {
    auto next = reader->next();
    REQUIRE(next.has_value());
    if (!next->has_value()) break;
    REQUIRE(index < entries.size());
    CHECK(**next == entries[index]);
    ++index;
  }
  CHECK(index == entries.size());
  CHECK(reader->summary() == *summary);
  auto after_end = reader->next();
  REQUIRE(after_end.has_value());
  CHECK_FALSE(after_end->has_value());
}

TEST_CASE("an inventory file is the header and one tab-separated line per file, byte for byte") {
  test::TestDir dir("inventory-bytes");
  auto entries = sorted_entries(2);
  auto writer = InventoryWriter::create(dir / "inventory.tsv").value();
  for (const auto& entry : entries) REQUIRE(writer.add(entry).has_value());
  REQUIRE(writer.finish().has_value());
  CHECK(test::read_file(dir / "inventory.tsv") == kHeader + line_of(entries[0]) + line_of(entries[1]));

  auto empty = InventoryWriter::create(dir / "empty.tsv").value();
  auto summary = empty.finish().value();
  CHECK(test::read_file(dir / "empty.tsv") == kHeader);
  CHECK(summary.file_count == 0);
  CHECK(summary.file.size == kHeader.size());
  CHECK(summary.file.sha256_hex == sha256_hex(kHeader));
  CHECK(why_refused(dir, kHeader).empty());
}

TEST_CASE("the writer refuses entries out of order, twice, or not matching their own name") {
  test::TestDir dir("inventory-writer-refusals");
  auto entries = sorted_entries(3);
  auto writer = InventoryWriter::create(dir / "inventory.tsv").value();
  REQUIRE(writer.add(entries[1]).has_value());
  const std::string where = (dir / "inventory.tsv").string();

  auto refused = writer.add(entries[0]);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ExitCode::kOperational);
  CHECK(refused.error().what == where);
  CHECK(refused.error().why ==
        "path \"" + entries[0].path + "\" is out of order (it comes after \"" + entries[1].path + "\")");

  refused = writer.add(entries[1]);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why == "path \"" + entries[1].path + "\" appears twice");

  auto lower = entries[2];
  lower.path = entries[2].path.substr(0, 3) + to_hex_lower(from_hex(entries[2].sha1_hex).value()) + ".cab";
  refused = writer.add(lower);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why ==
        "path \"" + lower.path + "\" is not in canonical form \"" + entries[2].path + "\"");

  auto mismatch = entries[2];
  mismatch.sha1_hex = entries[0].sha1_hex;
  refused = writer.add(mismatch);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why ==
        "SHA-1 " + entries[0].sha1_hex + " does not match the path \"" + entries[2].path + "\"");

  auto bad_sha256 = entries[2];
  bad_sha256.sha256_hex = std::string(64, 'A');
  refused = writer.add(bad_sha256);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why == "SHA-256 \"" + bad_sha256.sha256_hex + "\" of \"" + entries[2].path +
                                   "\" is not 64 lower-case hex characters");

  auto not_content = entries[2];
  not_content.path = "../" + entries[2].path;
  refused = writer.add(not_content);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why == "path \"" + not_content.path + "\" is not a WsusContent path XX/<SHA1>.ext");

  // Refused entries leave nothing behind: the file holds exactly the accepted ones.
  REQUIRE(writer.add(entries[2]).has_value());
  auto summary = writer.finish().value();
  CHECK(summary.file_count == 2);
  CHECK(test::read_file(dir / "inventory.tsv") == kHeader + line_of(entries[1]) + line_of(entries[2]));
  CHECK_FALSE(writer.add(entries[2]).has_value());
}

TEST_CASE("an abandoned inventory writer leaves no file behind") {
  test::TestDir dir("inventory-abandoned");
  {
    auto writer = InventoryWriter::create(dir / "inventory.tsv").value();
    REQUIRE(writer.add(entry_for(1)).has_value());
  }
  CHECK(boost::filesystem::is_empty(dir.path()));
}

TEST_CASE("the reader refuses a missing, foreign, newer or older header on line 1") {
  test::TestDir dir("inventory-header");
  CHECK(why_refused(dir, "") ==
        "line 1: the file is empty; expected the header \"# wsus-airgap inventory v1\"");
  CHECK(why_refused(dir, "path\tsize\n") ==
        "line 1: is not a wsus-airgap inventory header (expected \"# wsus-airgap inventory v1\")");
  CHECK(why_refused(dir, "# wsus-airgap inventory v2\n") ==
        "line 1: was written by a newer wsus-airgap (inventory format 2); this one reads format 1: upgrade "
        "wsus-airgap on this server");
  CHECK(why_refused(dir, "# wsus-airgap inventory v0\n") ==
        "line 1: inventory format version 0 is older than this wsus-airgap reads (1)");
  CHECK(why_refused(dir, "# wsus-airgap inventory v01\n") ==
        "line 1: is not a wsus-airgap inventory header (expected \"# wsus-airgap inventory v1\")");
  CHECK(why_refused(dir, "# wsus-airgap inventory v1\r\n") ==
        "line 1: ends with a carriage return: the file was converted to Windows line endings");
  CHECK(why_refused(dir, "# wsus-airgap inventory v1") ==
        "line 1: the last line has no newline; the file is truncated");

  auto missing = InventoryReader::open(dir / "missing.tsv");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ExitCode::kOperational);
  CHECK(missing.error().what == (dir / "missing.tsv").string());
}

TEST_CASE("the reader refuses every kind of malformed line and names its line number") {
  test::TestDir dir("inventory-lines");
  auto entries = sorted_entries(2);
  const auto& a = entries[0];
  const auto& b = entries[1];
  const std::string tail = "\t" + a.sha256_hex + "\t" + a.sha1_hex + "\t1\n";
  auto with_size = [&](const std::string& size) { return kHeader + a.path + "\t" + size + tail; };
  const std::string lower_path = a.path.substr(0, 3) + to_hex_lower(from_hex(a.sha1_hex).value()) + ".cab";

  struct Case {
    const char* label;
    std::string contents;
    std::string why;
  };
  const std::vector<Case> cases{
      {"empty line", kHeader + "\n",
       "line 2: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found 1"},
      {"four fields", kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + a.sha1_hex + "\n",
       "line 2: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found 4"},
      {"six fields", kHeader + line_of(a).substr(0, line_of(a).size() - 1) + "\textra\n",
       "line 2: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found more"},
      {"spaces not tabs", kHeader + a.path + " 1 " + a.sha256_hex + " " + a.sha1_hex + " 1\n",
       "line 2: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found 1"},
      {"escaping path", kHeader + "../etc/passwd\t1" + tail,
       "line 2: path \"../etc/passwd\" is not a WsusContent path XX/<SHA1>.ext"},
      {"control characters in path", kHeader + "\x1b[2J\t1" + tail,
       "line 2: path \"?[2J\" is not a WsusContent path XX/<SHA1>.ext"},
      {"device name", kHeader + a.path.substr(0, 3) + "CON\t1" + tail,
       "line 2: path \"" + a.path.substr(0, 3) + "CON\" is not a WsusContent path XX/<SHA1>.ext"},
      {"trailing dot", kHeader + a.path + ".\t1" + tail,
       "line 2: path \"" + a.path + ".\" is not a WsusContent path XX/<SHA1>.ext"},
      {"trailing space", kHeader + a.path + " \t1" + tail,
       "line 2: path \"" + a.path + " \" is not a WsusContent path XX/<SHA1>.ext"},
      {"stream", kHeader + a.path + ":evil\t1" + tail,
       "line 2: path \"" + a.path + ":evil\" is not a WsusContent path XX/<SHA1>.ext"},
      {"lower-case path", kHeader + lower_path + "\t1" + tail,
       "line 2: path \"" + lower_path + "\" is not in canonical form \"" + a.path + "\""},
      {"signed size", with_size("+1"), "line 2: size \"+1\" is not a decimal byte count"},
      {"negative size", with_size("-1"), "line 2: size \"-1\" is not a decimal byte count"},
      {"leading zero", with_size("01"), "line 2: size \"01\" is not a decimal byte count"},
      {"trailing space", with_size("1 "), "line 2: size \"1 \" is not a decimal byte count"},
      {"empty size", with_size(""), "line 2: size \"\" is not a decimal byte count"},
      {"exponent", with_size("1e3"), "line 2: size \"1e3\" is not a decimal byte count"},
      {"17 digits", with_size("10000000000000000"),
       "line 2: size \"10000000000000000\" is not a decimal byte count"},
      {"over 2^50", with_size("1125899906842625"),
       "line 2: size 1125899906842625 of \"" + a.path + "\" exceeds the 2^50-byte limit"},
      {"upper-case SHA-256", kHeader + a.path + "\t1\t" + std::string(64, 'A') + "\t" + a.sha1_hex + "\t0\n",
       "line 2: SHA-256 \"" + std::string(64, 'A') + "\" of \"" + a.path +
           "\" is not 64 lower-case hex characters"},
      {"short SHA-256", kHeader + a.path + "\t1\tabc\t" + a.sha1_hex + "\t0\n",
       "line 2: SHA-256 \"abc\" of \"" + a.path + "\" is not 64 lower-case hex characters"},
      {"lower-case SHA-1",
       kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + to_hex_lower(from_hex(a.sha1_hex).value()) +
           "\t0\n",
       "line 2: SHA-1 \"" + to_hex_lower(from_hex(a.sha1_hex).value()) + "\" of \"" + a.path +
           "\" is not 40 upper-case hex characters"},
      {"SHA-1 of another file", kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + b.sha1_hex + "\t0\n",
       "line 2: SHA-1 " + b.sha1_hex + " does not match the path \"" + a.path + "\""},
      {"carried 2", kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + a.sha1_hex + "\t2\n",
       "line 2: carried flag \"2\" is not 0 or 1"},
      {"carried yes", kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + a.sha1_hex + "\tyes\n",
       "line 2: carried flag \"yes\" is not 0 or 1"},
      {"NUL in a field",
       kHeader + a.path + "\t1\t" + a.sha256_hex + "\t" + a.sha1_hex + "\t1" + std::string(1, '\0') + "\n",
       "line 2: carried flag \"1?\" is not 0 or 1"},
      {"Windows line ending", kHeader + line_of(a).substr(0, line_of(a).size() - 1) + "\r\n",
       "line 2: ends with a carriage return: the file was converted to Windows line endings"},
      {"duplicate", kHeader + line_of(a) + line_of(a), "line 3: path \"" + a.path + "\" appears twice"},
      {"out of order", kHeader + line_of(b) + line_of(a),
       "line 3: path \"" + a.path + "\" is out of order (it comes after \"" + b.path + "\")"},
      {"no final newline", kHeader + line_of(a) + line_of(b).substr(0, line_of(b).size() - 1),
       "line 3: the last line has no newline; the file is truncated"},
      {"cut mid-line", kHeader + line_of(a) + b.path.substr(0, 10),
       "line 3: the last line has no newline; the file is truncated"},
      {"line over 1024 bytes", kHeader + line_of(a) + std::string(1025, 'x') + "\n",
       "line 3: longer than 1024 bytes"},
      {"endless line", kHeader + std::string(3 * 1024 * 1024, 'x'), "line 2: longer than 1024 bytes"},
  };
  for (const auto& c : cases) {
    INFO(c.label);
    CHECK(why_refused(dir, c.contents) == c.why);
  }
  // A line of exactly 1024 bytes is read (and refused for what it says, not for its length).
  CHECK(why_refused(dir, kHeader + std::string(1024, 'x') + "\n") ==
        "line 2: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found 1");
}

TEST_CASE("entries before a bad line are returned, then the bad line stops the reader") {
  test::TestDir dir("inventory-partial");
  auto entries = sorted_entries(3);
  std::size_t read = 0;
  auto why = why_refused(dir, kHeader + line_of(entries[0]) + line_of(entries[1]) + "garbage\n", &read);
  CHECK(read == 2);
  CHECK(why == "line 4: expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found 1");
}

TEST_CASE("the reader's summary pins exactly the bytes it read") {
  test::TestDir dir("inventory-summary");
  auto entries = sorted_entries(4);
  std::string contents = kHeader;
  for (const auto& e : entries) contents += line_of(e);
  test::write_file(dir / "inv.tsv", contents);
  auto reader = InventoryReader::open(dir / "inv.tsv").value();
  while (reader.next().value().has_value()) {
  }
  CHECK(reader.summary().file.name == "inv.tsv");
  CHECK(reader.summary().file.size == contents.size());
  CHECK(reader.summary().file.sha256_hex == sha256_hex(contents));
  CHECK(reader.summary().file_count == 4);
}
