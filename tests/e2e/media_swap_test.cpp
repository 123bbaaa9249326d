// What is verified is what is used: media that changes after the import checked it (a second reader,
// a share, a stick whose firmware returns other bytes on a second read) feeds nothing into the
// offline server. The test hook (WSUS_AIRGAP_TEST_HOOK) swaps the media's metadata package and
// inventory at the exact moment the import reaches each later step.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <fstream>
#include <string>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// Overwrites `file` with bytes of the same length that are not its own (so a size check passes).
void scramble(const fs::path& file) {
  auto size = fs::file_size(file);
  std::ofstream out(file.string(), std::ios::binary | std::ios::trunc);
  out << std::string(size, 'X');
}

// A hook that scrambles the package's metadata and inventory on the media when the run reaches `step`.
fs::path swap_hook(const Scenario& scene, const std::string& step) {
  fs::path package = scene.package(1);
  return test_program(scene.root() / "swap-media.json", step,
                      {{"scramble", (package / "metadata.xml.gz").string()},
                       {"scramble", (package / "inventory.tsv").string()},
                       {"append", (scene.root() / "hook-ran").string(), step}});
}

}  // namespace

TEST_CASE("media swapped after verification at any later step of an import feeds nothing unverified") {
  for (std::string step : {"placing", "placed", "metadata-imported", "mirroring", "writing-receipt"}) {
    INFO("step: " << step);
    Scenario scene("media-swap-" + step, 10);
    REQUIRE(scene.export_package().exit_code == 0);
    set_env("WSUS_AIRGAP_TEST_HOOK", swap_hook(scene, step).string());
    auto imported = scene.import_packages({"--mirror", "--json"});
    set_env("WSUS_AIRGAP_TEST_HOOK", "");
    INFO(imported.err);
    CHECK(read_file(scene.root() / "hook-ran") == step + "\n");
    REQUIRE(imported.exit_code == 0);
    auto report = parse_json(imported);
    CHECK(report["packages"][0]["result"] == "applied");
    CHECK(report["packages"][0]["metadata_imported"] == true);
    CHECK(report["missing"].empty());
    CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));

    // wsusutil was handed the verified copy beside the ledger, whole, never the media's file.
    auto database = nlohmann::json::parse(read_file(scene.root() / "offline" / "wsus-database.json"));
    REQUIRE(database["imports"].size() == 1);
    std::string imported_from = database["imports"][0]["package"];
    CHECK_FALSE(contains(imported_from, scene.media().string()));
    CHECK(contains(imported_from, (scene.root() / "offline" / "wsus-airgap-verified").string()));
    CHECK(database["imports"][0]["updates"] == 10);
  }
}

TEST_CASE(
    "a re-run over an applied package reads its verified copies, and refuses altered media without them") {
  Scenario scene("media-swap-rerun", 10);
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  scramble(scene.package(1) / "metadata.xml.gz");
  scramble(scene.package(1) / "inventory.tsv");

  auto again = scene.import_packages({"--json"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto report = parse_json(again);
  CHECK(report["packages"][0]["result"] == "already applied");
  CHECK(report["missing"].empty());

  fs::remove_all(scene.root() / "offline" / "wsus-airgap-verified");
  auto without_copies = scene.import_packages();
  CHECK(without_copies.exit_code == 3);
  CHECK(contains(without_copies.err, "does not match its SHA-256 in the signed manifest"));
  // Both files were altered and are hashed side by side: whichever is found first is named.
  CHECK((contains(without_copies.err, "inventory.tsv") || contains(without_copies.err, "metadata.xml.gz")));
}

TEST_CASE("an import keeps verified copies of the newest applied package only") {
  Scenario scene("media-swap-prune", 8);
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  fs::path copies = scene.root() / "offline" / "wsus-airgap-verified";
  auto folders = [&] {
    std::vector<std::string> names;
    for (fs::directory_iterator it(copies), end; it != end; ++it)
      names.push_back(it->path().filename().string());
    return names;
  };
  REQUIRE(folders().size() == 1);
  std::string first = folders()[0];
  CHECK(fs::is_regular_file(copies / first / "inventory.tsv"));
  CHECK(fs::is_regular_file(copies / first / "metadata.xml.gz"));
  CHECK(read_file(copies / first / "inventory.tsv") == read_file(scene.package(1) / "inventory.tsv"));

  auto second = scene.export_package({"--allow-empty"});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  REQUIRE(folders().size() == 1);
  CHECK(folders()[0] != first);
}
