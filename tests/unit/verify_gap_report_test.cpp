// verify::find_gaps and check_updates against generated WsusContent trees and simulated export packages;
// the live-server JSON parser; the HTML report's escaping.

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "common/digest.h"
#include "report/html_report.h"
#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/e2e.h"
#include "tests/support/test_dir.h"
#include "verify/gap_report.h"
#include "verify/store_listing.h"
#include "wsus/live_server.h"

namespace {

using namespace wsa;
namespace fs = boost::filesystem;
using nlohmann::json;

// A generated tree, its catalog, the generator's summary (planted faults) and both package forms.
struct GeneratedServer {
  fs::path content, catalog, xml_gz, cab;
  json summary;
  json catalog_json;
};

GeneratedServer generate(const test::TestDir& dir, const std::vector<std::string>& faults = {}) {
  GeneratedServer server{
      dir / "WsusContent", dir / "catalog.json", dir / "export.xml.gz", dir / "export.cab", {}, {}};
  std::vector<std::string> args = {"generate",
                                   "--catalog",
                                   server.catalog.string(),
                                   "--content",
                                   server.content.string(),
                                   "--seed",
                                   "11",
                                   "--updates",
                                   "16",
                                   "--max-size",
                                   "2M"};
  args.insert(args.end(), faults.begin(), faults.end());
  auto generated = test::run(test::simulator_binary(), args, dir.path());
  REQUIRE(generated.exit_code == 0);
  server.summary = json::parse(generated.out);
  for (const auto& package : {server.xml_gz, server.cab}) {
    auto exported =
        test::run(test::simulator_binary(),
                  {"export", package.string(), (dir / (package.filename().string() + ".log")).string(),
                   "--catalog", server.catalog.string()},
                  dir.path());
    REQUIRE(exported.exit_code == 0);
  }
  server.catalog_json = json::parse(test::read_file(server.catalog));
  return server;
}

// update id -> catalog update, for every update needing the content path.
std::map<std::string, json> catalog_updates_needing(const json& catalog, const std::string& content_path) {
  std::map<std::string, json> found;
  for (const auto& update : catalog["updates"]) {
    for (const auto& file : update["files"]) {
      std::string sha1 = file["sha1"];
      std::string name = file["name"];
      std::string path = sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.'));
      if (path == content_path) found[update["update_id"]] = update;
    }
  }
  return found;
}

std::set<std::string> gap_paths(const verify::GapReport& report) {
  std::set<std::string> paths;
  for (const auto& update : report.updates) {
    for (const auto& file : update.files) paths.insert(file.path);
  }
  return paths;
}

std::size_t distinct_catalog_files(const json& catalog) {
  std::set<std::string> sha1s;
  for (const auto& update : catalog["updates"]) {
    for (const auto& file : update["files"]) sha1s.insert(file["sha1"].get<std::string>());
  }
  return sha1s.size();
}

}  // namespace

TEST_CASE("find_gaps reports no gaps on a complete tree, from the .xml.gz and the .cab package alike") {
  test::TestDir dir("gaps-complete");
  auto server = generate(dir);
  for (const auto& package : {server.xml_gz, server.cab}) {
    for (bool hashes : {false, true}) {
      INFO(package.string() << (hashes ? " with hashes" : " sizes only"));
      auto report = verify::find_gaps(server.content, package, {hashes, nullptr, nullptr});
      REQUIRE(report);
      CHECK(report->complete());
      CHECK(report->updates.empty());
      CHECK(report->files_with_gaps == 0);
      CHECK(report->files_checked == distinct_catalog_files(server.catalog_json));
      CHECK(report->updates_checked == 16);
      CHECK(report->hashes_verified == hashes);
      CHECK(report->metadata_package == package.string());
    }
  }
}

TEST_CASE(
    "find_gaps reports exactly the two missing files under every update that needs them, with title and KB") {
  test::TestDir dir("gaps-missing");
  auto server = generate(dir, {"--missing", "2"});
  std::set<std::string> planted = server.summary["missing"].get<std::set<std::string>>();
  REQUIRE(planted.size() == 2);
  for (const auto& package : {server.xml_gz, server.cab}) {
    INFO(package.string());
    auto report = verify::find_gaps(server.content, package, {});
    REQUIRE(report);
    CHECK_FALSE(report->complete());
    CHECK(report->files_with_gaps == 2);
    CHECK(gap_paths(*report) == planted);

    std::map<std::string, std::set<std::string>> expected;  // update id -> its missing paths
    for (const auto& path : planted) {
      for (const auto& [id, update] : catalog_updates_needing(server.catalog_json, path))
        expected[id].insert(path);
    }
    REQUIRE(report->updates.size() == expected.size());
    for (const auto& update : report->updates) {
      INFO(update.update_id);
      REQUIRE(expected.count(update.update_id) == 1);
      auto catalog_update = catalog_updates_needing(server.catalog_json, *expected[update.update_id].begin())
                                .at(update.update_id);
      CHECK(update.title == catalog_update["title"].get<std::string>());
      CHECK(update.kb == catalog_update["kb"].get<std::string>());
      CHECK(update.classification == catalog_update["classification"].get<std::string>());
      CHECK(update.revision == catalog_update["revision"].get<std::uint32_t>());
      std::set<std::string> paths;
      for (const auto& file : update.files) {
        CHECK(file.problem == "missing");
        CHECK_FALSE(file.name.empty());
        CHECK(file.expected_size.has_value());
        CHECK_FALSE(file.carried_by_sequence.has_value());
        paths.insert(file.path);
      }
      CHECK(paths == expected[update.update_id]);
    }
    // Sorted by title, then update id.
    for (std::size_t i = 1; i < report->updates.size(); ++i) {
      const auto& a = report->updates[i - 1];
      const auto& b = report->updates[i];
      CHECK(std::tie(a.title, a.update_id) < std::tie(b.title, b.update_id));
    }
  }
}

TEST_CASE("find_gaps finds a corrupt file only when hashing, as a SHA-1 mismatch") {
  test::TestDir dir("gaps-corrupt");
  auto server = generate(dir, {"--corrupt", "1"});
  auto corrupted = server.summary["corrupted"].get<std::vector<std::string>>();
  REQUIRE(corrupted.size() == 1);
  for (const auto& package : {server.xml_gz, server.cab}) {
    INFO(package.string());
    auto sizes_only = verify::find_gaps(server.content, package, {});
    REQUIRE(sizes_only);
    CHECK(sizes_only->complete());

    auto hashed = verify::find_gaps(server.content, package, {true, nullptr, nullptr});
    REQUIRE(hashed);
    CHECK(hashed->files_with_gaps == 1);
    REQUIRE_FALSE(hashed->updates.empty());
    for (const auto& update : hashed->updates) {
      REQUIRE(update.files.size() == 1);
      CHECK(update.files[0].path == corrupted[0]);
      CHECK(update.files[0].problem == "SHA-1 mismatch");
    }
  }
}

TEST_CASE("find_gaps finds a file of the wrong size without hashing and names both sizes") {
  test::TestDir dir("gaps-size");
  auto server = generate(dir);
  const json& file = server.catalog_json["updates"][0]["files"][0];
  std::string sha1 = file["sha1"];
  std::string name = file["name"];
  std::string path = sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.'));
  std::uint64_t size = file["size"];
  fs::resize_file(server.content / path, size - 1);

  auto report = verify::find_gaps(server.content, server.xml_gz, {});
  REQUIRE(report);
  CHECK(report->files_with_gaps == 1);
  REQUIRE_FALSE(report->updates.empty());
  CHECK(report->updates[0].files.at(0).path == path);
  CHECK(report->updates[0].files.at(0).problem ==
        "wrong size: " + std::to_string(size - 1) + " bytes, expected " + std::to_string(size));
}

TEST_CASE("the check against a scan finds the missing and the wrong-size file, as the check on disk does") {
  test::TestDir dir("gaps-scan");
  auto server = generate(dir, {"--missing", "1"});
  std::string missing = server.summary["missing"][0];
  const json& file = server.catalog_json["updates"][0]["files"][0];
  std::string sha1 = file["sha1"];
  std::string name = file["name"];
  std::string resized = sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.'));
  REQUIRE(resized != missing);
  std::uint64_t size = file["size"];
  fs::resize_file(server.content / resized, size + 3);

  auto listing = verify::scan_content_store(server.content, nullptr, {});
  REQUIRE(listing);
  auto referenced = verify::ReferencedFiles::read(server.cab);
  REQUIRE(referenced);
  auto from_scan = std::move(*referenced).check_against(*listing, {});
  REQUIRE(from_scan);
  auto on_disk = verify::find_gaps(server.content, server.cab, {});
  REQUIRE(on_disk);

  CHECK(from_scan->files_with_gaps == 2);
  CHECK(from_scan->files_checked == on_disk->files_checked);
  CHECK(from_scan->metadata_package == server.cab.string());
  CHECK(gap_paths(*from_scan) == std::set<std::string>{missing, resized});
  CHECK(gap_paths(*from_scan) == gap_paths(*on_disk));
  REQUIRE(from_scan->updates.size() == on_disk->updates.size());
  for (std::size_t i = 0; i < from_scan->updates.size(); ++i) {
    CHECK(from_scan->updates[i].update_id == on_disk->updates[i].update_id);
    REQUIRE(from_scan->updates[i].files.size() == on_disk->updates[i].files.size());
    for (std::size_t j = 0; j < from_scan->updates[i].files.size(); ++j) {
      const auto& gap = from_scan->updates[i].files[j];
      CHECK(gap.problem == on_disk->updates[i].files[j].problem);
      CHECK(gap.problem == (gap.path == missing ? std::string("missing")
                                                : "wrong size: " + std::to_string(size + 3) +
                                                      " bytes, expected " + std::to_string(size)));
    }
  }
}

TEST_CASE(
    "find_gaps given the import's listing reports what it reports from the disk alone: missing, wrong size, "
    "not a regular file, a name in lower case") {
  test::TestDir dir("gaps-listing");
  auto server = generate(dir, {"--missing", "1"});
  std::string missing = server.summary["missing"][0];
  std::vector<std::string> paths;
  for (const auto& update : server.catalog_json["updates"]) {
    for (const auto& file : update["files"]) {
      std::string sha1 = file["sha1"];
      std::string name = file["name"];
      std::string path = sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.'));
      if (path != missing && std::find(paths.begin(), paths.end(), path) == paths.end())
        paths.push_back(path);
    }
  }
  REQUIRE(paths.size() >= 3);
  const std::string resized = paths[0], folder = paths[1], lower = paths[2];
  fs::resize_file(server.content / resized, fs::file_size(server.content / resized) + 3);
  fs::remove(server.content / folder);
  fs::create_directories(server.content / folder);
  std::string lower_name = lower.substr(3);
  for (char& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fs::rename(server.content / lower, server.content / lower.substr(0, 2) / lower_name);

  verify::StoreListing store(server.content);
  REQUIRE(store.list());
  verify::GapOptions with_listing;
  with_listing.listing = &store;
  for (const auto& package : {server.xml_gz, server.cab}) {
    INFO(package.string());
    auto listed = verify::find_gaps(server.content, package, with_listing);
    auto on_disk = verify::find_gaps(server.content, package, {});
    REQUIRE(listed);
    REQUIRE(on_disk);
    CHECK(gap_paths(*listed) == std::set<std::string>{missing, resized, folder});
    CHECK(listed->files_checked == on_disk->files_checked);
    CHECK(listed->files_with_gaps == on_disk->files_with_gaps);
    REQUIRE(listed->updates.size() == on_disk->updates.size());
    std::set<std::string> problems;
    for (std::size_t i = 0; i < listed->updates.size(); ++i) {
      CHECK(listed->updates[i].update_id == on_disk->updates[i].update_id);
      REQUIRE(listed->updates[i].files.size() == on_disk->updates[i].files.size());
      for (std::size_t j = 0; j < listed->updates[i].files.size(); ++j) {
        CHECK(listed->updates[i].files[j].path == on_disk->updates[i].files[j].path);
        CHECK(listed->updates[i].files[j].problem == on_disk->updates[i].files[j].problem);
        problems.insert(listed->updates[i].files[j].problem);
      }
    }
    CHECK(problems.contains("missing"));
    CHECK(problems.contains("not a regular file"));
    CHECK(std::count_if(problems.begin(), problems.end(),
                        [](const std::string& p) { return p.starts_with("wrong size: "); }) == 1);
  }
}

TEST_CASE("the check against a scan reports a SHA-1 mismatch from the scan's digests when hashing") {
  test::TestDir dir("gaps-scan-hash");
  auto server = generate(dir, {"--corrupt", "1"});
  std::string corrupt = server.summary["corrupted"][0];
  auto listing = verify::scan_content_store(server.content, nullptr, {});
  REQUIRE(listing);
  auto sizes_only = verify::ReferencedFiles::read(server.xml_gz).value().check_against(*listing, {});
  REQUIRE(sizes_only);
  CHECK(sizes_only->complete());
  auto hashed =
      verify::ReferencedFiles::read(server.xml_gz).value().check_against(*listing, {true, nullptr, nullptr});
  REQUIRE(hashed);
  CHECK(hashed->hashes_verified);
  CHECK(hashed->files_with_gaps == 1);
  REQUIRE_FALSE(hashed->updates.empty());
  CHECK(hashed->updates[0].files.at(0).path == corrupt);
  CHECK(hashed->updates[0].files.at(0).problem == "SHA-1 mismatch");
}

TEST_CASE("find_gaps names the highest-sequence package that carried a missing file when given the ledger") {
  test::TestDir dir("gaps-ledger");
  auto server = generate(dir, {"--missing", "1"});
  std::string missing = server.summary["missing"][0];
  auto ledger = state::Ledger::open(dir / "ledger.sqlite");
  REQUIRE(ledger);
  REQUIRE(ledger->record_shipped(3, {{missing, std::string(64, 'a')}}));
  REQUIRE(ledger->record_shipped(5, {{missing, std::string(64, 'b')}}));

  auto report = verify::find_gaps(server.content, server.xml_gz, {false, &*ledger, nullptr});
  REQUIRE(report);
  REQUIRE_FALSE(report->updates.empty());
  for (const auto& update : report->updates) CHECK(update.files.at(0).carried_by_sequence == 5u);
  CHECK(ledger->shipped_sequence("00/0000000000000000000000000000000000000000.cab").value() == std::nullopt);
}

TEST_CASE("find_gaps refuses a truncated package and names it") {
  test::TestDir dir("gaps-truncated");
  auto server = generate(dir);
  std::string bytes = test::read_file(server.xml_gz);
  test::write_file(dir / "cut.xml.gz", bytes.substr(0, bytes.size() / 2));
  auto report = verify::find_gaps(server.content, dir / "cut.xml.gz", {});
  REQUIRE_FALSE(report);
  CHECK(report.error().code == ExitCode::kWsusutil);
  CHECK(report.error().what.find("cut.xml.gz") != std::string::npos);
}

TEST_CASE(
    "check_updates finds a file with no known name by any extension and checks its SHA-256 when hashing") {
  test::TestDir dir("gaps-check-updates");
  const std::string bytes = "update payload";
  test::write_file(dir / "scratch.bin", bytes);
  auto digests = hash_file(dir / "scratch.bin").value();
  const std::string folder = digests.sha1_hex.substr(38, 2);
  fs::create_directories(dir / "WsusContent" / folder);
  test::write_file(dir / "WsusContent" / folder / (digests.sha1_hex + ".cab"), bytes);

  wsus::PackageUpdate update{"0fa1201d-0000-4fa8-8ae9-b877473b6441",
                             7,
                             "Hostile <b>title</b>",
                             "5000001",
                             "0fa1201d-4330-4fa8-8ae9-b877473b6441",
                             {digests.sha1_hex, std::string(40, 'A')}};
  wsus::PackageFile nameless{digests.sha1_hex, "", std::nullopt, std::string(64, '0')};
  auto report = verify::check_updates(dir / "WsusContent", {update}, {nameless}, "test source", {});
  REQUIRE(report);
  CHECK(report->metadata_package == "test source");
  CHECK(report->files_checked == 2);
  REQUIRE(report->updates.size() == 1);
  CHECK(report->updates[0].classification == "Security Updates");
  REQUIRE(report->updates[0].files.size() == 1);
  CHECK(report->updates[0].files[0].path == "AA/" + std::string(40, 'A'));
  CHECK(report->updates[0].files[0].problem == "missing");

  auto hashed = verify::check_updates(dir / "WsusContent", {update}, {nameless}, "test source",
                                      {true, nullptr, nullptr});
  REQUIRE(hashed);
  REQUIRE(hashed->updates.size() == 1);
  std::map<std::string, std::string> problems;
  for (const auto& file : hashed->updates[0].files) problems[file.path] = file.problem;
  CHECK(problems ==
        std::map<std::string, std::string>{{"AA/" + std::string(40, 'A'), "missing"},
                                           {folder + "/" + digests.sha1_hex + ".cab", "SHA-256 mismatch"}});
}

TEST_CASE(
    "parse_failed_updates reads the live server's JSON and refuses duplicate keys, bad digests and unknown "
    "fields") {
  const std::string good = R"([{"update_id":"{8F0E6A3C-1111-2222-3333-444455556666}","revision":201,
    "title":"2026-11 Cumulative Update","kb":"KB5044123","classification":"Security Updates",
    "files":[{"name":"windows11.0-kb5044123-x64.msu","sha1":"0123456789abcdef0123456789abcdef01234567",
              "sha256":null,"size":1234,"uri":"http://wsus:8530/Content/67/0123.msu"}]}])";
  auto parsed = wsus::parse_failed_updates(good, "stand-in output");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 1);
  const auto& failed = (*parsed)[0];
  CHECK(failed.update.update_id == "8f0e6a3c-1111-2222-3333-444455556666");
  CHECK(failed.update.revision == 201);
  CHECK(failed.update.kb_article == "5044123");
  CHECK(failed.update.file_sha1_hex == std::vector<std::string>{"0123456789ABCDEF0123456789ABCDEF01234567"});
  REQUIRE(failed.files.size() == 1);
  CHECK(failed.files[0].size == 1234u);
  CHECK_FALSE(failed.files[0].sha256_hex.has_value());
  CHECK(failed.uris[0] == "http://wsus:8530/Content/67/0123.msu");
  CHECK(wsus::parse_failed_updates("[]", "x").value().empty());

  auto duplicate = wsus::parse_failed_updates(R"([{"update_id":"a","update_id":"b"}])", "stand-in output");
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().message().find("stand-in output: has the field \"update_id\" twice") == 0);

  std::string bad_sha1 = good;
  bad_sha1.replace(bad_sha1.find("0123456789abcdef0123"), 4, "xyz!");
  auto refused = wsus::parse_failed_updates(bad_sha1, "stand-in output");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().why.find("[0].files[0].sha1") == 0);

  std::string unknown = good;
  unknown.replace(unknown.find("\"revision\""), 10, "\"extra\":1,\"revision\"");
  auto extra = wsus::parse_failed_updates(unknown, "stand-in output");
  REQUIRE_FALSE(extra);
  CHECK(extra.error().why == "[0] has an unknown field \"extra\"");
  CHECK_FALSE(wsus::parse_failed_updates(R"({"updates":[]})", "x"));
  CHECK(wsus::failed_updates_script().find("State.ToString() -ne 'Failed'") != std::string_view::npos);
}

TEST_CASE("the HTML report escapes a hostile title and references nothing outside itself") {
  verify::GapReport gaps;
  gaps.metadata_package = "E:\\export.xml.gz";
  gaps.updates_checked = 3;
  gaps.files_checked = 4;
  gaps.files_with_gaps = 1;
  gaps.updates.push_back({"8f0e6a3c-1111-2222-3333-444455556666",
                          2,
                          "<script>document.title='pwned'</script> & \"x\"",
                          "5044123",
                          "Security Updates",
                          {{.path = "AB/0123456789ABCDEF0123456789ABCDEF012345AB.cab",
                            .problem = "missing",
                            .name = "a.cab",
                            .expected_size = 10,
                            .carried_by_sequence = 3}}});
  state::RunRecord run;
  run.kind = state::RunKind::kImport;
  run.sequence = 3;
  run.status = state::RunStatus::kGapsRemain;
  run.message = "<img src=x onerror=alert(1)>";
  std::string html = report::render_gap_report_html(&gaps, {run}, {});
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt; &amp; &quot;x&quot;") !=
        std::string::npos);
  CHECK(html.find("KB5044123") != std::string::npos);
  CHECK(html.find("wsus-airgap-000003") != std::string::npos);
  // No element may load anything: no src/href attribute and no URL scheme anywhere in the page.
  CHECK_FALSE(
      std::regex_search(html, std::regex(R"(<[^>]*\s(src|href|action|srcset)\s*=)", std::regex::icase)));
  CHECK(html.find("http:") == std::string::npos);
  CHECK(html.find("https:") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("1 content file missing or damaged, needed by 1 update") != std::string::npos);
}
