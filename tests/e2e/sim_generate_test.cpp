// wsusutil-sim generate: the WsusContent trees every other end-to-end test stands on.
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <regex>

#include "common/digest.h"
#include "tests/e2e/sim_inspection.h"
#include "tests/support/catch.h"

using namespace wsa::test;
using namespace wsa::test::sim;

namespace {

std::string stem_of(const std::string& relative_path) {
  const auto slash = relative_path.find('/');
  return relative_path.substr(slash + 1, relative_path.find('.', slash) - slash - 1);
}

std::set<std::string> keys_of(const std::map<std::string, std::uint64_t>& map) {
  std::set<std::string> keys;
  for (const auto& [key, value] : map) keys.insert(key);
  return keys;
}

std::vector<std::string> as_strings(const Json& array) {
  return array.get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE(
    "a generated tree holds every catalog file at XX/<SHA1>.ext and every file's bytes hash to its name") {
  TestDir dir("sim-generate-names");
  const Json summary = generate(dir.path(), {"--seed", "11"});
  const Json catalog = read_json(dir / "catalog.json");
  const auto expected = catalog_content(catalog);

  CHECK(summary.at("updates") == 20);
  CHECK(summary.at("files") == 30);
  CHECK(catalog.at("updates").size() == 20);
  CHECK(expected.size() == 30);
  CHECK(files_under(dir / "WsusContent") == keys_of(expected));

  std::uint64_t total = 0;
  std::map<std::string, std::string> sha256_by_sha1;
  for (const auto& update : catalog.at("updates")) {
    for (const auto& file : update.at("files")) sha256_by_sha1[file.at("sha1")] = file.at("sha256");
  }
  for (const auto& [path, size] : expected) {
    auto digests = wsa::hash_file(dir.path() / "WsusContent" / path);
    REQUIRE(digests.has_value());
    CHECK(digests->sha1_hex == stem_of(path));
    CHECK(path.substr(0, 2) == digests->sha1_hex.substr(38, 2));
    CHECK(digests->size == size);
    CHECK(digests->sha256_hex == sha256_by_sha1.at(digests->sha1_hex));
    total += size;
  }
  CHECK(summary.at("bytes") == total);
  CHECK(summary.at("corrupted").empty());
  CHECK(summary.at("missing").empty());
  CHECK(summary.at("extra").empty());
  // No temp file of the generator is left behind.
  for (const auto& path : files_under(dir / "WsusContent")) CHECK(path.find(".tmp") == std::string::npos);
}

TEST_CASE("the same seed gives a byte-identical tree and catalog whatever the number of writers") {
  TestDir dir("sim-generate-deterministic");
  generate(dir.path(), {"--seed", "42", "--updates", "40", "--jobs", "1"}, "one.json", "one");
  generate(dir.path(), {"--seed", "42", "--updates", "40", "--jobs", "3"}, "two.json", "two");
  generate(dir.path(), {"--seed", "43", "--updates", "40"}, "other.json", "other");

  CHECK(read_file(dir / "one.json") == read_file(dir / "two.json"));
  const auto files = files_under(dir / "one");
  REQUIRE(files.size() == 60);
  CHECK(files_under(dir / "two") == files);
  for (const auto& path : files) {
    CHECK(read_file(dir.path() / "one" / path) == read_file(dir.path() / "two" / path));
  }
  CHECK(read_file(dir / "other.json") != read_file(dir / "one.json"));
  CHECK(files_under(dir / "other") != files);
}

TEST_CASE("a generated catalog looks like WSUS: KB titles, known classifications, GUIDs, shared files") {
  TestDir dir("sim-generate-realistic");
  generate(dir.path(), {"--seed", "5", "--updates", "300", "--files", "400", "--max-size", "16K"});
  const Json catalog = read_json(dir / "catalog.json");
  const std::regex guid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex cumulative(R"(\d{4}-\d{2} Cumulative Update for .+ \(KB(\d{7})\))");
  const std::set<std::string> classifications = {
      "0fa1201d-4330-4fa8-8ae9-b877473b6441", "e6cf1350-c01b-414d-a61f-263d14d133b4",
      "e0789628-ce08-4437-be74-2495b842f43b", "28bc880e-0592-4cbf-8f95-c79b17911d5f",
      "cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83", "3689bdc8-b205-4af4-8d4a-a63924c5e9d5"};

  CHECK(std::regex_match(catalog.at("server_id").get<std::string>(), guid));
  CHECK(catalog.at("creation_time") == "2026-11-20T08:00:00Z");
  std::set<std::string> ids;
  std::set<std::string> extensions;
  std::map<std::string, int> references;
  int cumulative_titles = 0;
  for (const auto& update : catalog.at("updates")) {
    const std::string id = update.at("update_id");
    CHECK(std::regex_match(id, guid));
    ids.insert(id);
    CHECK(update.at("revision").get<int>() >= 1);
    CHECK(classifications.count(update.at("classification_id")) == 1);
    const std::string title = update.at("title");
    std::smatch match;
    if (std::regex_match(title, match, cumulative)) {
      ++cumulative_titles;
      CHECK(match[1] == update.at("kb").get<std::string>());
    }
    for (const auto& file : update.at("files")) {
      const std::string name = file.at("name");
      extensions.insert(name.substr(name.rfind('.') + 1));
      ++references[file.at("sha1")];
    }
  }
  CHECK(ids.size() == 300);
  CHECK(cumulative_titles > 50);
  CHECK(extensions == std::set<std::string>{"cab", "esd", "exe", "msu", "txt"});
  CHECK(references.size() == 400);
  CHECK(
      std::any_of(references.begin(), references.end(), [](const auto& entry) { return entry.second >= 2; }));
}

TEST_CASE("file sizes are heavy-tailed and never exceed --max-size") {
  TestDir dir("sim-generate-sizes");
  generate(dir.path(), {"--seed", "9", "--updates", "400", "--files", "600", "--max-size", "1M"});
  std::vector<std::uint64_t> sizes;
  for (const auto& [path, size] : catalog_content(read_json(dir / "catalog.json"))) sizes.push_back(size);
  REQUIRE(sizes.size() == 600);
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes.back() <= 1024 * 1024);
  CHECK(sizes.front() >= 1024);
  CHECK(sizes[sizes.size() / 2] < 64 * 1024);  // most are KB-sized
  CHECK(std::count_if(sizes.begin(), sizes.end(), [](auto s) { return s > 256 * 1024; }) >= 5);  // a tail
}

TEST_CASE("generate --corrupt flips a byte in exactly the named catalog files, keeping their name and size") {
  TestDir dir("sim-generate-corrupt");
  const Json summary = generate(dir.path(), {"--seed", "21", "--corrupt", "3"});
  const auto expected = catalog_content(read_json(dir / "catalog.json"));
  const auto corrupted = as_strings(summary.at("corrupted"));
  REQUIRE(corrupted.size() == 3);
  CHECK(files_under(dir / "WsusContent") == keys_of(expected));
  int mismatches = 0;
  for (const auto& [path, size] : expected) {
    auto digests = wsa::hash_file(dir.path() / "WsusContent" / path);
    REQUIRE(digests.has_value());
    CHECK(digests->size == size);
    const bool listed = std::find(corrupted.begin(), corrupted.end(), path) != corrupted.end();
    CHECK((digests->sha1_hex != stem_of(path)) == listed);
    if (digests->sha1_hex != stem_of(path)) ++mismatches;
  }
  CHECK(mismatches == 3);
}

TEST_CASE("generate --missing leaves exactly the named catalog files unwritten") {
  TestDir dir("sim-generate-missing");
  const Json summary = generate(dir.path(), {"--seed", "22", "--missing", "4"});
  const auto expected = keys_of(catalog_content(read_json(dir / "catalog.json")));
  const auto missing = as_strings(summary.at("missing"));
  REQUIRE(missing.size() == 4);
  std::set<std::string> present = expected;
  for (const auto& path : missing) {
    CHECK(expected.count(path) == 1);
    present.erase(path);
  }
  CHECK(files_under(dir / "WsusContent") == present);
}

TEST_CASE("generate --extra adds exactly the named files: valid content names that no catalog entry lists") {
  TestDir dir("sim-generate-extra");
  const Json summary = generate(dir.path(), {"--seed", "23", "--extra", "5"});
  const auto expected = keys_of(catalog_content(read_json(dir / "catalog.json")));
  const auto extra = as_strings(summary.at("extra"));
  REQUIRE(extra.size() == 5);
  std::set<std::string> on_disk = expected;
  for (const auto& path : extra) {
    CHECK(expected.count(path) == 0);
    auto digests = wsa::hash_file(dir.path() / "WsusContent" / path);
    REQUIRE(digests.has_value());
    CHECK(digests->sha1_hex == stem_of(path));
    CHECK(path.substr(0, 2) == digests->sha1_hex.substr(38, 2));
    on_disk.insert(path);
  }
  CHECK(files_under(dir / "WsusContent") == on_disk);
}

TEST_CASE("planting faults leaves the catalog exactly as the healthy tree's catalog") {
  TestDir dir("sim-generate-faults-catalog");
  generate(dir.path(), {"--seed", "31"}, "healthy.json", "healthy");
  const Json summary =
      generate(dir.path(), {"--seed", "31", "--corrupt", "2", "--missing", "2", "--extra", "2"},
               "faulty.json", "faulty");
  CHECK(read_file(dir / "healthy.json") == read_file(dir / "faulty.json"));
  // Corrupted and missing files are distinct files.
  std::set<std::string> faulted;
  for (const auto& path : summary.at("corrupted")) faulted.insert(path.get<std::string>());
  for (const auto& path : summary.at("missing")) faulted.insert(path.get<std::string>());
  CHECK(faulted.size() == 4);
  CHECK(files_under(dir / "faulty").size() == 30 - 2 + 2);
}

TEST_CASE("asking for more faulty files than the catalog has is a usage error naming the counts") {
  TestDir dir("sim-generate-too-many-faults");
  auto result =
      run_sim({"generate", "--catalog", (dir / "c.json").string(), "--content", (dir / "w").string(),
               "--seed", "1", "--updates", "2", "--files", "3", "--corrupt", "2", "--missing", "2"},
              dir.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err ==
        "wsusutil-sim: error: --corrupt/--missing: 2 corrupt + 2 missing files exceed the 3 catalog "
        "files\n");
  CHECK_FALSE(boost::filesystem::exists(dir / "c.json"));
}
