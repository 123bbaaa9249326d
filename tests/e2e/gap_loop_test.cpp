// "Failed to download" found before WSUS does, and closed across the gap: export warns about files
// the connected server lacks, import names the updates whose files did not arrive, the request it
// writes makes the next export carry exactly those files, and afterwards `gaps` finds none.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "tests/support/catch.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

struct CatalogFile {
  std::string path;  // XX/<SHA1>.ext
  std::string title;
  std::string kb;
};

// Every catalog file with the first update that needs it.
std::vector<CatalogFile> catalog_files(const Scenario& scene) {
  auto catalog = json::parse(read_file(scene.catalog()));
  std::vector<CatalogFile> files;
  std::set<std::string> seen;
  for (const auto& update : catalog["updates"]) {
    for (const auto& file : update["files"]) {
      std::string sha1 = file["sha1"];
      std::string name = file["name"];
      std::string path = sha1.substr(38) + "/" + sha1 + name.substr(name.rfind('.'));
      if (seen.insert(path).second) files.push_back({path, update["title"], update["kb"]});
    }
  }
  return files;
}

// Two files of two different updates that no other update shares.
std::pair<CatalogFile, CatalogFile> two_files_of_two_updates(const Scenario& scene) {
  auto files = catalog_files(scene);
  auto catalog = json::parse(read_file(scene.catalog()));
  std::map<std::string, int> users;
  for (const auto& update : catalog["updates"]) {
    for (const auto& file : update["files"]) ++users[file["sha1"].get<std::string>()];
  }
  std::vector<CatalogFile> single;
  for (const auto& f : files) {
    if (users[f.path.substr(3, 40)] == 1 && (single.empty() || single.front().title != f.title))
      single.push_back(f);
    if (single.size() == 2) break;
  }
  REQUIRE(single.size() == 2);
  return {single[0], single[1]};
}

}  // namespace

TEST_CASE("export warns, naming the update and KB, about files the connected server lacks") {
  Scenario scene("export-warns-missing");
  auto [missing, other] = two_files_of_two_updates(scene);
  fs::remove(scene.connected() / missing.path);

  auto refused = scene.export_package({"--require-complete"});
  CHECK(refused.exit_code == 5);
  CHECK(contains(refused.err, "content file(s) that 1 update(s) in the metadata need"));
  CHECK(fs::is_empty(scene.media()));

  auto exported = scene.export_package();
  INFO(exported.err);
  CHECK(exported.exit_code == 0);
  CHECK(contains(exported.err, "KB" + missing.kb + " " + missing.title));
  CHECK(contains(exported.err, "approve the update on this server"));
}

TEST_CASE("files a package lacked are named by update, requested, carried exactly, and then no gaps remain") {
  Scenario scene("gap-loop");
  auto [first, second] = two_files_of_two_updates(scene);
  fs::path held = scene.root() / "held";
  for (const auto* file : {&first, &second}) {
    fs::create_directories((held / file->path).parent_path());
    fs::rename(scene.connected() / file->path, held / file->path);
  }
  REQUIRE(scene.export_package().exit_code == 0);

  fs::path request = scene.root() / "request.json";
  fs::path page = scene.root() / "import-report.html";
  auto imported = scene.import_packages({"--request-out", request.string(), "--report", page.string()});
  INFO(imported.err);
  CHECK(imported.exit_code == 5);
  CHECK(contains(imported.out, first.title));
  CHECK(contains(imported.out, second.title));
  std::string html = read_file(page);
  CHECK(contains(html, "wsus-airgap import report"));
  CHECK(contains(html, "KB" + first.kb));
  CHECK(contains(html, "KB" + second.kb));
  CHECK(contains(html, "wsus-airgap-000001"));  // the package history from the ledger

  // Running the import again applies nothing, and says again what is still missing.
  auto again = scene.import_packages();
  CHECK(again.exit_code == 5);
  CHECK(contains(again.out, "already applied  wsus-airgap-000001"));
  CHECK(contains(again.out, first.title));
  CHECK(contains(again.out, second.title));
  auto asked = json::parse(read_file(request));
  std::set<std::string> asked_paths;
  for (const auto& file : asked["files"]) asked_paths.insert(file["path"].get<std::string>());
  CHECK(asked_paths == std::set<std::string>{first.path, second.path});

  // WSUS on the connected side downloads them (after approval); the request carries exactly them.
  for (const auto* file : {&first, &second}) fs::rename(held / file->path, scene.connected() / file->path);
  auto answered = scene.export_package({"--request", request.string(), "--json"});
  INFO(answered.err);
  REQUIRE(answered.exit_code == 0);
  auto report = json::parse(answered.out);
  CHECK(report["files_carried"] == 2);

  auto second_import = scene.import_packages();
  INFO(second_import.err);
  CHECK(second_import.exit_code == 0);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  auto gaps = scene.airgap({"gaps", "--content", scene.offline().string(), "--metadata",
                            (scene.package(2) / "metadata.xml.gz").string()});
  CHECK(gaps.exit_code == 0);
  CHECK(contains(gaps.out, "No gaps"));
}

TEST_CASE(
    "import checks the store after placing: a placed file removed before the check is missing, a file it did "
    "not place is looked at, and the receipt counts what is there") {
  Scenario scene("gap-after-placement");
  auto [removed, short_copy] = two_files_of_two_updates(scene);
  // `short_copy` is not carried (the connected side lacks it); the offline side holds half of it.
  std::string bytes = read_file(scene.connected() / short_copy.path);
  fs::remove(scene.connected() / short_copy.path);
  REQUIRE(scene.export_package().exit_code == 0);
  fs::create_directories((scene.offline() / short_copy.path).parent_path());
  write_file(scene.offline() / short_copy.path, bytes.substr(0, bytes.size() / 2));

  // Removed once placed and flushed, after wsusutil import, just before the check.
  set_env("WSUS_AIRGAP_TEST_HOOK", test_program(scene.root() / "remove.json", "metadata-imported",
                                                {{"remove", (scene.offline() / removed.path).string()}})
                                       .string());
  fs::path receipt = scene.root() / "receipt.json";
  auto imported = scene.import_packages({"--new-ledger", "--json", "--receipt-out", receipt.string()});
  set_env("WSUS_AIRGAP_TEST_HOOK", "");
  INFO(imported.err);
  CHECK(imported.exit_code == 5);
  CHECK_FALSE(fs::exists(scene.offline() / removed.path));
  auto report = json::parse(imported.out);
  std::map<std::string, std::string> problems;
  for (const auto& file : report["missing_files"]) problems[file["path"]] = file["reason"];
  CHECK(problems == std::map<std::string, std::string>{
                        {removed.path, "missing"},
                        {short_copy.path, "wrong size: " + std::to_string(bytes.size() / 2) +
                                              " bytes, expected " + std::to_string(bytes.size())}});

  // The receipt's digest is of the names and sizes on disk after the run.
  auto body = json::parse(json::parse(read_file(receipt))["body"].get<std::string>());
  std::uint64_t files = 0, total = 0;
  for (fs::recursive_directory_iterator it(scene.offline()), end; it != end; ++it) {
    if (!fs::is_regular_file(it->status()) || it.depth() != 1) continue;
    ++files;
    total += fs::file_size(it->path());
  }
  CHECK(body["content_files"] == files);
  CHECK(body["content_bytes"] == total);
  CHECK(body["missing"].size() == 2);
}
