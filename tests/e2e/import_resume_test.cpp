// An import killed halfway resumes: the next run closes the killed run as interrupted, does not hash
// the volumes again, does not re-read the files already placed, and ends with a byte-identical tree.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <chrono>
#include <thread>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// Runs the import under `timeout -s KILL 2` while wsusutil import takes 3.5 s: the content is placed
// by then and the metadata import is still running. SIGKILL: no cleanup of ours runs. Then waits for
// the orphaned wsusutil to end, so it cannot write into the next run's output or database.
RunResult import_killed_during_wsusutil(const Scenario& scene) {
#ifdef _WIN32
  // Under Wine /usr/bin/timeout is a Linux program, started without a process to wait for.
  skip_test("the import is killed by /usr/bin/timeout -s KILL, a Linux program (run by the Linux suite)");
#endif
  set_env("WSUSUTIL_SIM_DELAY_MS", "3500");
  auto killed = run("/usr/bin/timeout",
                    {"-s", "KILL", "2", airgap_binary().string(), "import", "--media", scene.media().string(),
                     "--content", scene.offline().string(), "--trust", scene.pub().string(), "--state",
                     scene.import_state().string(), "--wsusutil", simulator_binary().string()},
                    scene.root());
  set_env("WSUSUTIL_SIM_DELAY_MS", "0");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  return killed;
}

// Files a killed placement could leave behind: temp files, partial files, the staging folder.
std::vector<std::string> leftovers(const fs::path& content) {
  std::vector<std::string> found;
  for (fs::recursive_directory_iterator it(content), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (name.ends_with(".partial") || name.find(".tmp") != std::string::npos ||
        name == ".wsus-airgap-staging") {
      found.push_back(it->path().string());
    }
  }
  return found;
}

}  // namespace

TEST_CASE(
    "an import killed during wsusutil import resumes without hashing volumes or re-reading placed files") {
  Scenario scene("import-resume", 16);
  auto exported = scene.export_package({"--volume-size", "256K", "--json"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  std::size_t volumes = parse_json(exported)["volumes"].size();
  REQUIRE(volumes >= 3);

  auto killed = import_killed_during_wsusutil(scene);
  REQUIRE(killed.exit_code == 137);
  CHECK(leftovers(scene.offline()).empty());

  auto before = scene.airgap({"status", "--state", scene.import_state().string(), "--json"});
  REQUIRE(before.exit_code == 0);
  auto runs_before = parse_json(before)["runs"];
  REQUIRE(runs_before.size() == 1);
  CHECK(runs_before[0]["status"] == "running");

  auto resumed = scene.import_packages({"--json"});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  auto report = parse_json(resumed);
  CHECK(report["interrupted_runs"] == 1);
  const auto& package = report["packages"][0];
  CHECK(package["result"] == "applied");
  CHECK(package["resumed"] == true);
  CHECK(package["volumes_hashed"] == 0);
  CHECK(package["volumes_skipped"] == volumes);
  CHECK(package["files_placed"] == 0);
  CHECK(package["files_already_present"] == 0);
  CHECK(package["files_skipped"] == content_paths(scene.connected()).size());
  CHECK(package["metadata_imported"] == true);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  CHECK(leftovers(scene.offline()).empty());

  auto after = scene.airgap({"status", "--state", scene.import_state().string(), "--json"});
  auto runs = parse_json(after)["runs"];
  REQUIRE(runs.size() == 2);
  CHECK(runs[0]["status"] == "interrupted");
  CHECK(contains(runs[0]["message"].get<std::string>(), "interrupted (killed or crashed)"));
  CHECK(runs[1]["status"] == "succeeded");
  CHECK(contains(runs[1]["message"].get<std::string>(), "resumed"));
  auto human = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(contains(human.out, "interrupted"));
}

TEST_CASE(
    "a resumed import hashes again a volume and re-reads a placed file whose times changed since the killed "
    "run") {
  Scenario scene("import-resume-touched", 16);
  REQUIRE(scene.export_package({"--volume-size", "256K"}).exit_code == 0);
  auto killed = import_killed_during_wsusutil(scene);
  REQUIRE(killed.exit_code == 137);
  // Copied again onto the media: same bytes, new time.
  fs::path volume = scene.package(1) / "content.tar.000";
  fs::last_write_time(volume, fs::last_write_time(volume) + 60);
  // A placed file touched since: read and checked again rather than trusted.
  auto placed = content_paths(scene.offline());
  fs::last_write_time(scene.offline() / placed[0], fs::last_write_time(scene.offline() / placed[0]) + 60);

  auto resumed = scene.import_packages({"--json"});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  auto package = parse_json(resumed)["packages"][0];
  CHECK(package["volumes_hashed"] == 1);
  CHECK(package["files_already_present"] == 1);
  CHECK(package["files_skipped"] == placed.size() - 1);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
}
