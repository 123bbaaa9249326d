// Several export servers, one stick: each server exports into its own folder on the media, one import
// run takes one server's packages, and the offline ledger keeps both chains, shown by `status`.
#include <boost/filesystem/operations.hpp>

#include <set>
#include <string>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// A second connected server in the same test folder: its own content, catalog and export ledger.
struct SecondServer {
  fs::path content, catalog, ledger;
};

SecondServer second_server(const Scenario& scene) {
  SecondServer b{scene.root() / "connected-b" / "WsusContent", scene.root() / "connected-b" / "catalog.json",
                 scene.root() / "connected-b" / "export-ledger.sqlite"};
  auto made = scene.sim({"generate", "--catalog", b.catalog.string(), "--content", b.content.string(),
                         "--seed", "77", "--updates", "5", "--max-size", "256K"});
  REQUIRE(made.exit_code == 0);
  return b;
}

RunResult export_b(const Scenario& scene, const SecondServer& b, const fs::path& media) {
  set_env("WSUSUTIL_SIM_CATALOG", b.catalog.string());
  auto result = scene.airgap({"export", "--content", b.content.string(), "--media", media.string(), "--key",
                              scene.key().string(), "--state", b.ledger.string(), "--wsusutil",
                              simulator_binary().string()});
  set_env("WSUSUTIL_SIM_CATALOG", scene.catalog().string());
  return result;
}

}  // namespace

TEST_CASE(
    "two export servers share one stick, each in its own folder, and the offline side keeps two chains") {
  Scenario scene("two-sources", 6);
  auto b = second_server(scene);
  REQUIRE(scene.export_package().exit_code == 0);

  auto same_root = export_b(scene, b, scene.media());
  CHECK(same_root.exit_code == 1);
  CHECK(contains(same_root.err, "holds a package of another export server"));
  CHECK(contains(same_root.err, "give each export server its own folder on the media"));
  CHECK_FALSE(contains(same_root.err, "disagree"));

  fs::path b_media = scene.media() / "server-b";
  fs::create_directories(b_media);
  auto own_folder = export_b(scene, b, b_media);
  INFO(own_folder.err);
  REQUIRE(own_folder.exit_code == 0);

  auto both = scene.import_packages({"--media", b_media.string()});
  CHECK(both.exit_code == 1);
  CHECK(contains(both.err, "holds packages of 2 export servers"));
  CHECK(contains(both.err, "import one server's packages at a time"));
  CHECK_FALSE(fs::exists(scene.root() / "offline" / "wsus-database.json"));  // nothing imported
  CHECK(snapshot(scene.offline()).empty());

  auto a = scene.import_packages();
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  auto imported_b = scene.airgap({"import", "--media", b_media.string(), "--content",
                                  scene.offline().string(), "--trust", scene.pub().string(), "--state",
                                  scene.import_state().string(), "--wsusutil", simulator_binary().string()});
  INFO(imported_b.err);
  REQUIRE(imported_b.exit_code == 0);
  auto expected = snapshot(scene.connected());
  auto from_b = snapshot(b.content);
  expected.insert(from_b.begin(), from_b.end());
  CHECK(snapshot(scene.offline()) == expected);

  auto status = parse_json(scene.airgap({"status", "--state", scene.import_state().string(), "--json"}));
  std::set<std::string> sources;
  for (const auto& run : status["runs"]) sources.insert(run["source_id"].get<std::string>());
  CHECK(sources.size() == 2);
  auto human = scene.airgap({"status", "--state", scene.import_state().string()});
  for (const auto& source : sources) CHECK(contains(human.out, source.substr(0, 8)));
}
