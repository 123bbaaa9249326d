// An import killed at each point of placement (all staged, a batch renamed into XX/ but not yet
// recorded, a batch recorded) leaves WsusContent holding only whole, verified files, and the next run
// ends byte-identical to the export server's tree. Batches of 4 files (WSUS_AIRGAP_TEST_BATCH_FILES)
// make several of them; the hook kills the import (SIGKILL: none of its clean-up runs) at the second.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <fstream>
#include <map>
#include <string>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

constexpr int kBatch = 4;

// Kills the import (the hook's parent) the `nth` time it reaches `step`.
fs::path kill_hook(const Scenario& scene, const std::string& step, int nth) {
  fs::path count = scene.root() / ("reached-" + step);
  return test_program(scene.root() / ("kill-at-" + step + ".json"), step,
                      {{"kill-parent-on", count.string(), std::to_string(nth)}});
}

// WsusContent without the staging folder: what WSUS sees.
std::map<std::string, std::string> visible(const Scenario& scene) {
  auto files = snapshot(scene.offline());
  std::erase_if(files, [](const auto& file) { return file.first.starts_with(".wsus-airgap-staging"); });
  return files;
}

}  // namespace

TEST_CASE("an import killed during placement leaves only whole verified files and resumes byte-identical") {
  struct Case {
    std::string step;
    int nth;
    std::size_t visible_after_kill;  // files in XX/ when the run died
    std::size_t recorded;            // of those, recorded in the ledger (skipped unread by the next run)
  };
  for (const auto& [step, nth, visible_files, recorded] :
       {Case{"staged", 1, 0, 0}, Case{"renamed-batch", 2, 2 * kBatch, kBatch},
        Case{"recorded-batch", 2, 2 * kBatch, 2 * kBatch}}) {
    INFO("killed at: " << step << " #" << nth);
    Scenario scene("import-crash-" + step, 16);
    auto exported = scene.export_package({"--volume-size", "256K", "--json"});
    REQUIRE(exported.exit_code == 0);
    std::size_t volumes = parse_json(exported)["volumes"].size();
    REQUIRE(volumes >= 3);
    const auto source = snapshot(scene.connected());
    REQUIRE(source.size() > 3 * kBatch);

    set_env("WSUS_AIRGAP_TEST_BATCH_FILES", std::to_string(kBatch));
    set_env("WSUS_AIRGAP_TEST_HOOK", kill_hook(scene, step, nth).string());
    auto killed = scene.import_packages();
    set_env("WSUS_AIRGAP_TEST_HOOK", "");
    REQUIRE(killed.exit_code == 137);

    // Only whole files with the export server's bytes are visible, as many as the batches renamed.
    auto seen = visible(scene);
    CHECK(seen.size() == visible_files);
    for (const auto& [path, sha] : seen) {
      INFO(path);
      CHECK(source.contains(path));
      if (source.contains(path)) CHECK(source.at(path) == sha);
    }

    auto resumed = scene.import_packages({"--json"});
    set_env("WSUS_AIRGAP_TEST_BATCH_FILES", "");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    auto package = parse_json(resumed)["packages"][0];
    CHECK(package["result"] == "applied");
    CHECK(package["resumed"] == true);
    // Every volume matched in the killed run's single pass: none is hashed again.
    CHECK(package["volumes_hashed"] == 0);
    CHECK(package["volumes_skipped"] == volumes);
    CHECK(package["files_skipped"] == recorded);
    CHECK(package["files_already_present"] == visible_files - recorded);
    CHECK(package["files_placed"] == source.size() - visible_files);
    CHECK(snapshot(scene.offline()) == source);
    CHECK_FALSE(fs::exists(scene.offline() / ".wsus-airgap-staging"));
  }
}

TEST_CASE("an import reads each volume byte once: a damaged later volume leaves WsusContent as it was") {
  Scenario scene("import-one-pass-damage", 16);
  REQUIRE(scene.export_package({"--volume-size", "256K"}).exit_code == 0);
  fs::path last;
  for (fs::directory_iterator it(scene.package(1)), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (name.starts_with("content.tar.") && (last.empty() || name > last.filename().string()))
      last = it->path();
  }
  REQUIRE_FALSE(last.empty());
  // The last volume's final bytes: the tar stream's end blocks, which no entry check reads.
  auto size = fs::file_size(last);
  {
    std::fstream file(last.string(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - 10));
    file.put('X');
  }
  auto damaged = scene.import_packages();
  CHECK(damaged.exit_code == 3);
  CHECK(contains(damaged.err,
                 last.filename().string() + ": volume does not match its SHA-256 in the signed manifest"));
  CHECK(snapshot(scene.offline()).empty());
  CHECK_FALSE(fs::exists(scene.offline() / ".wsus-airgap-staging"));
}
