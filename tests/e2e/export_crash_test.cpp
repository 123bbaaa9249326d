// An export killed at any step never changes what a sequence number means: the next run either makes
// the package afresh (nothing was recorded or named yet) or names the recorded one; the media never
// holds two different signed packages for one sequence, and the offline side imports the chain.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <set>
#include <string>

#include "common/digest.h"
#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// A hook that kills the export (its parent) as SIGKILL would when the run reaches `step`.
fs::path kill_hook(const Scenario& scene, const std::string& step) {
  return test_program(scene.root() / ("kill-at-" + step + ".json"), step, {{"kill-parent"}});
}

std::set<std::string> media_folders(const Scenario& scene) {
  std::set<std::string> names;
  for (fs::directory_iterator it(scene.media()), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (name.starts_with("wsus-airgap-") && fs::is_directory(it->path())) names.insert(name);
  }
  return names;
}

std::string manifest_hash(const fs::path& package) {
  return wsa::sha256_hex(read_file(package / "manifest.json"));
}

}  // namespace

TEST_CASE(
    "an export killed at each step leaves one meaning per sequence and the next run completes the chain") {
  struct Case {
    std::string step;
    bool recorded;  // the ledger held the package when the run died
  };
  for (const auto& [step, recorded] :
       {Case{"metadata-exported", false}, Case{"volumes-written", false}, Case{"signed", false},
        Case{"recorded", true}, Case{"renamed", true}}) {
    INFO("killed at: " << step);
    Scenario scene("export-crash-" + step, 8);
    set_env("WSUS_AIRGAP_TEST_HOOK", kill_hook(scene, step).string());
    auto killed = scene.export_package();
    set_env("WSUS_AIRGAP_TEST_HOOK", "");
    REQUIRE(killed.exit_code == 137);

    auto next = scene.export_package({"--json", "--allow-empty"});
    INFO(next.err);
    REQUIRE(next.exit_code == 0);
    auto report = parse_json(next);
    if (recorded) {
      // The killed run's package is sequence 1; this run makes 2 on top of it.
      CHECK(report["sequence"] == 2);
      // Killed before the rename: this run names the recorded folder rather than making it again.
      auto named = step == "recorded" ? nlohmann::json::array({1}) : nlohmann::json::array();
      CHECK(report["finished"] == named);
      CHECK(report["interrupted"].empty());
      CHECK(media_folders(scene) == std::set<std::string>{"wsus-airgap-000001", "wsus-airgap-000002"});
    } else {
      CHECK(report["sequence"] == 1);
      CHECK(report["interrupted"] == nlohmann::json::array({1}));
      CHECK(media_folders(scene) == std::set<std::string>{"wsus-airgap-000001"});
    }

    // What the ledger says each sequence is, the media holds.
    auto status = parse_json(scene.airgap({"status", "--state", scene.export_state().string(), "--json"}));
    for (const auto& run : status["runs"]) {
      if (run["status"] != "succeeded") continue;
      char folder[32];
      std::snprintf(folder, sizeof folder, "wsus-airgap-%06llu", run["sequence"].get<unsigned long long>());
      CHECK(manifest_hash(scene.media() / folder) == run["manifest_sha256"]);
    }

    auto imported = scene.import_packages({"--json"});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  }
}
