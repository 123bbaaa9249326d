// End-to-end tests of `wsus-airgap gaps`: exit codes, the human and JSON reports, the content request,
// the ledger's "carried by", and the live-server path through a stand-in query program.

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <set>

#include "manifest/receipt.h"
#include "state/ledger.h"
#include "tests/support/catalog.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

namespace {

using namespace wsa;
using namespace wsa::test;
using nlohmann::json;

std::set<std::string> missing_paths(const Scenario& scene) {
  std::set<std::string> missing;
  for (const auto& file : catalog_files(scene)) {
    if (!fs::exists(scene.connected() / file.path)) missing.insert(file.path);
  }
  return missing;
}

fs::path export_metadata(const Scenario& scene, const std::string& name = "export.xml.gz") {
  fs::path package = scene.root() / name;
  auto exported = scene.sim({"export", package.string(), (scene.root() / (name + ".log")).string()});
  REQUIRE(exported.exit_code == 0);
  return package;
}

RunResult gaps(const Scenario& scene, const fs::path& package, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"gaps", "--content", scene.connected().string(), "--metadata",
                                   package.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.airgap(args);
}

// A --server-query stand-in that acts as `actions` say (wsa-test-program, tests/support/scenario.h).
fs::path write_stand_in(const Scenario& scene, const std::vector<std::vector<std::string>>& actions) {
  return test_program(scene.root() / "stand-in-query.json", "", actions);
}

// A stand-in that prints `output` as the query's answer.
fs::path printing_stand_in(const Scenario& scene, const std::string& output) {
  write_file(scene.root() / "stand-in-output.json", output);
  return write_stand_in(scene, {{"print", (scene.root() / "stand-in-output.json").string()}});
}

}  // namespace

TEST_CASE("gaps exits 0 and says no gaps when every referenced file is present, for both package forms") {
  Scenario scene("gaps-e2e-complete", 10);
  std::set<std::string> distinct;
  for (const auto& file : catalog_files(scene)) distinct.insert(file.path);
  for (const char* name : {"export.xml.gz", "export.cab"}) {
    fs::path package = export_metadata(scene, name);
    auto result = gaps(scene, package, {"--verify"});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    // How much the reader understood comes first, then the verdict.
    CHECK(result.out == "Read 10 updates and " + std::to_string(distinct.size()) + " content files from " +
                            package.string() + ".\nNo gaps: all " + std::to_string(distinct.size()) +
                            " content files that 10 updates need are in " + scene.connected().string() +
                            " (sizes and hashes checked).\n");
    CHECK(result.err.empty());
  }
}

TEST_CASE(
    "gaps exits 5 and lists each missing file under its update's KB, title and id, then a summary line") {
  Scenario scene("gaps-e2e-missing", 12, {"--missing", "2"});
  auto missing = missing_paths(scene);
  REQUIRE(missing.size() == 2);
  auto result = gaps(scene, export_metadata(scene));
  CHECK(result.exit_code == 5);
  std::set<std::string> updates_needing;
  for (const auto& file : catalog_files(scene)) {
    if (missing.count(file.path) == 0) continue;
    updates_needing.insert(file.update_id);
    std::string heading = "KB" + file.kb;
    heading.resize(std::max<std::size_t>(heading.size(), 10), ' ');
    heading += " " + file.title + " (" + file.update_id + ")\n  missing          " + file.path + "  " +
               file.name + "\n";
    CHECK(result.out.find(heading) != std::string::npos);
  }
  std::set<std::string> distinct;
  for (const auto& file : catalog_files(scene)) distinct.insert(file.path);
  CHECK(result.out.find("\n2 of " + std::to_string(distinct.size()) +
                        " content files missing or damaged, needed by " +
                        std::to_string(updates_needing.size()) +
                        " of 12 updates (sizes checked; add --verify to hash).\n") != std::string::npos);
  CHECK(result.out.find("\nNext: copy these files into " + scene.connected().string()) != std::string::npos);
}

TEST_CASE("gaps --json prints one object with the counts and every gap grouped by update") {
  Scenario scene("gaps-e2e-json", 12, {"--missing", "1", "--corrupt", "1"});
  auto result = gaps(scene, export_metadata(scene, "export.cab"), {"--json", "--verify"});
  CHECK(result.exit_code == 5);
  json document = json::parse(result.out);
  CHECK(document["command"] == "gaps");
  CHECK(document["complete"] == false);
  CHECK(document["source"] == "metadata");
  CHECK(document["hashes_verified"] == true);
  CHECK(document["files_with_gaps"] == 2);
  CHECK(document["updates_checked"] == 12);
  CHECK(document["request_out"].is_null());
  std::set<std::string> problems;
  for (const auto& update : document["updates"]) {
    CHECK(update["update_id"].get<std::string>().size() == 36);
    CHECK_FALSE(update["title"].get<std::string>().empty());
    CHECK(update.contains("kb"));
    CHECK(update.contains("classification"));
    for (const auto& file : update["files"]) {
      problems.insert(file["problem"].get<std::string>());
      CHECK(file["path"].get<std::string>().size() > 43);
      CHECK(file["expected_size"].is_number_unsigned());
      CHECK(file["carried_by_sequence"].is_null());
    }
  }
  CHECK(problems == std::set<std::string>{"missing", "SHA-1 mismatch"});
}

TEST_CASE("gaps --request-out writes a content request that lists each missing file once with its update") {
  Scenario scene("gaps-e2e-request", 12, {"--missing", "2"});
  auto missing = missing_paths(scene);
  fs::path request_file = scene.root() / "request.json";
  auto result = gaps(scene, export_metadata(scene), {"--request-out", request_file.string()});
  CHECK(result.exit_code == 5);
  auto request = manifest::parse_request(read_file(request_file), request_file.string());
  REQUIRE(request);
  CHECK(request->format_version == manifest::kRequestFormatVersion);
  CHECK_FALSE(request->created_utc.empty());
  CHECK_FALSE(request->offline_host.empty());
  std::set<std::string> listed;
  for (const auto& file : request->files) {
    CHECK(listed.insert(file.path).second);
    CHECK(file.problem == "missing");
    bool matches_catalog = false;
    for (const auto& entry : catalog_files(scene)) {
      matches_catalog = matches_catalog || (entry.path == file.path && entry.update_id == file.update_id &&
                                            entry.title == file.title && entry.kb == file.kb);
    }
    CHECK(matches_catalog);
  }
  CHECK(listed == missing);
}

TEST_CASE("gaps --state names the transfer package that carried a missing file") {
  Scenario scene("gaps-e2e-ledger", 12, {"--missing", "1"});
  std::string missing = *missing_paths(scene).begin();
  fs::path ledger_file = scene.root() / "import-ledger.sqlite";
  {
    auto ledger = state::Ledger::open(ledger_file);
    REQUIRE(ledger);
    REQUIRE(ledger->record_shipped(4, {{missing, std::string(64, 'c')}}));
  }
  auto result = gaps(scene, export_metadata(scene), {"--state", ledger_file.string()});
  CHECK(result.exit_code == 5);
  CHECK(result.out.find(missing) != std::string::npos);
  CHECK(result.out.find("(carried by wsus-airgap-000004)") != std::string::npos);

  auto absent = gaps(scene, export_metadata(scene), {"--state", (scene.root() / "typo.sqlite").string()});
  CHECK(absent.exit_code == 1);
  CHECK(absent.err.find("typo.sqlite: does not exist") != std::string::npos);
  CHECK_FALSE(fs::exists(scene.root() / "typo.sqlite"));
}

TEST_CASE("gaps refuses a missing --metadata, --metadata with --server, and --server without Windows") {
  Scenario scene("gaps-e2e-usage", 4);
  auto none = scene.airgap({"gaps", "--content", scene.connected().string()});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("wsus-airgap: error: --metadata: is required") == 0);
  auto both =
      scene.airgap({"gaps", "--content", scene.connected().string(), "--server", "--metadata", "x.xml.gz"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("--metadata: and --server exclude each other") != std::string::npos);
#ifndef _WIN32
  auto server = scene.airgap({"gaps", "--content", scene.connected().string(), "--server"});
  CHECK(server.exit_code == 2);
  CHECK(server.err.find("--server: asks the WSUS administration API, which exists only on Windows") !=
        std::string::npos);
  CHECK(server.err.find("hint: run it on the WSUS server, or give --metadata FILE (a wsusutil export "
                        "package) here") != std::string::npos);
#endif
  auto damaged = scene.airgap({"gaps", "--content", scene.connected().string(), "--metadata",
                               (scene.root() / "absent.xml.gz").string()});
  CHECK(damaged.exit_code != 0);
  CHECK(damaged.err.find("absent.xml.gz") != std::string::npos);
}

TEST_CASE("gaps --server checks the files of the updates the server marks Failed, through a stand-in query") {
  Scenario scene("gaps-e2e-server", 12, {"--missing", "1"});
  std::string missing = *missing_paths(scene).begin();
  CatalogFile missing_file, present_file;
  for (const auto& file : catalog_files(scene)) {
    if (file.path == missing)
      missing_file = file;
    else
      present_file = file;
  }
  json failed = json::array(
      {{{"update_id", missing_file.update_id},
        {"revision", 200},
        {"title", missing_file.title},
        {"kb", "KB" + missing_file.kb},
        {"classification", "Security Updates"},
        {"files", json::array({failed_update_file(missing_file), failed_update_file(present_file)})}}});
  fs::path stand_in = printing_stand_in(scene, failed.dump() + "\n");
  auto result = scene.airgap({"gaps", "--server", "--server-query", stand_in.string(), "--content",
                              scene.connected().string(), "--json"});
  INFO(result.err);
  CHECK(result.exit_code == 5);
  json document = json::parse(result.out);
  CHECK(document["source"] == "server");
  CHECK(document["metadata_package"] == "server query " + stand_in.string());
  CHECK(document["files_checked"] == 2);
  CHECK(document["files_with_gaps"] == 1);
  REQUIRE(document["updates"].size() == 1);
  CHECK(document["updates"][0]["update_id"] == missing_file.update_id);
  CHECK(document["updates"][0]["kb"] == missing_file.kb);
  REQUIRE(document["updates"][0]["files"].size() == 1);
  CHECK(document["updates"][0]["files"][0]["path"] == missing);

  fs::path empty = printing_stand_in(scene, "[]\n");
  auto none = scene.airgap(
      {"gaps", "--server", "--server-query", empty.string(), "--content", scene.connected().string()});
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("Read 0 updates and 0 content files from server query " + empty.string() +
                      ".\nNo gaps: all 0 content files that 0 updates need") == 0);
}

TEST_CASE("gaps --server reports a failing or garbled query with its words and exits 1") {
  Scenario scene("gaps-e2e-server-fails", 4);
  fs::path failing =
      write_stand_in(scene, {{"say", "Cannot load Microsoft.UpdateServices.Administration"}, {"exit", "3"}});
  auto result = scene.airgap(
      {"gaps", "--server", "--server-query", failing.string(), "--content", scene.connected().string()});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(
            "wsus-airgap: error: " + failing.string() +
            ": exited with code 3; it said:\nCannot load Microsoft.UpdateServices.Administration") == 0);

  fs::path garbled = printing_stand_in(scene, "[{\"update_id\":\"not-a-guid\"}]\n");
  auto refused = scene.airgap(
      {"gaps", "--server", "--server-query", garbled.string(), "--content", scene.connected().string()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find(garbled.string() + " output: [0].update_id \"not-a-guid\" is not a GUID") !=
        std::string::npos);
}
