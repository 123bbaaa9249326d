// `status`: per source, how old the newest applied package and the newest package seen are, and
// `--max-age` exiting 9 for a monitoring system when the offline server is stale.
#include <boost/filesystem/operations.hpp>

#include <ctime>

#include <nlohmann/json.hpp>

#include "tests/support/catch.h"
#include "tests/support/manifest_edit.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

std::string days_ago(int days) {
  return wsa::manifest::format_utc(static_cast<std::int64_t>(std::time(nullptr)) - days * 86400LL);
}

RunResult status(const Scenario& scene, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"status", "--state", scene.import_state().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.airgap(args);
}

}  // namespace

TEST_CASE("status gives the age of the newest applied package and --max-age exits 9 when it is older") {
  Scenario scene("status-max-age");
  REQUIRE(scene.export_package().exit_code == 0);
  std::string made = days_ago(10);
  resign_manifest(scene, 1, [&](auto& m) { m.created_utc = made; });
  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);

  auto json_status = status(scene, {"--json"});
  REQUIRE(json_status.exit_code == 0);
  auto document = nlohmann::json::parse(json_status.out);
  REQUIRE(document["sources"].size() == 1);
  const auto& source = document["sources"][0];
  std::string id = source["source_id"];
  CHECK(source["kind"] == "import");
  CHECK(source["last_applied"]["sequence"] == 1);
  CHECK(source["last_applied"]["made"] == made);
  CHECK(source["last_applied"]["age_days"].get<double>() > 9.99);
  CHECK(source["last_applied"]["age_days"].get<double>() < 10.01);
  CHECK(source["newest_seen"]["sequence"] == 1);
  CHECK_FALSE(source.contains("stale"));

  auto text = status(scene);
  CHECK(text.exit_code == 0);
  CHECK(contains(text.out, "freshness:\n  import " + id.substr(0, 8) + " last applied #000001 made " + made +
                               " (10.0 days old)\n"));

  auto fresh_enough = status(scene, {"--max-age", "30"});
  CHECK(fresh_enough.exit_code == 0);
  CHECK_FALSE(contains(fresh_enough.out, "STALE"));

  auto stale = status(scene, {"--max-age", "7"});
  CHECK(stale.exit_code == 9);
  CHECK(contains(stale.out, "(10.0 days old)  STALE"));
  CHECK(contains(stale.err, "wsus-airgap: error: source " + id.substr(0, 8) +
                                " (import): the newest applied package (#000001) was made " + made +
                                ", 10.0 days ago: more than --max-age 7"));
  CHECK(contains(stale.err, "carry a newer package from the connected server and import it"));
  auto stale_json = status(scene, {"--max-age", "7", "--json"});
  CHECK(stale_json.exit_code == 9);
  CHECK(nlohmann::json::parse(stale_json.out)["sources"][0]["stale"] == true);
  CHECK(nlohmann::json::parse(stale_json.out)["max_age_days"] == 7);
}

TEST_CASE("status shows a newer package that was seen but refused, and judges only what was applied") {
  Scenario scene("status-newest-seen");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.export_package().exit_code == 0);
  // Package 2 lost on the way: package 3 is signed and seen, and refused as a gap.
  fs::remove_all(scene.package(2));
  auto gap = scene.import_packages();
  REQUIRE(gap.exit_code == 4);

  auto document = nlohmann::json::parse(status(scene, {"--json"}).out);
  REQUIRE(document["sources"].size() == 1);
  const auto& source = document["sources"][0];
  CHECK(source["last_applied"]["sequence"] == 1);
  CHECK(source["newest_seen"]["sequence"] == 3);
  CHECK(source["newest_seen"]["age_days"].get<double>() < 0.1);
  auto text = status(scene, {"--max-age", "1"});
  CHECK(text.exit_code == 0);
  CHECK(contains(text.out, "last applied #000001 made "));
  CHECK(contains(text.out, "; newest seen #000003 made "));
}

TEST_CASE("status --max-age exits 9 when no package of a source was ever applied, or nothing ran") {
  Scenario scene("status-never-applied");
  REQUIRE(scene.export_package({"--expires-in-days", "30"}).exit_code == 0);
  resign_manifest(scene, 1, [](auto& m) {
    m.created_utc = "2019-12-01T00:00:00Z";
    m.expires_utc = "2020-01-01T00:00:00Z";
  });
  REQUIRE(scene.import_packages().exit_code == 4);

  auto never = status(scene, {"--max-age", "7"});
  CHECK(never.exit_code == 9);
  CHECK(contains(never.out, "never applied; newest seen #000001 made 2019-12-01T00:00:00Z"));
  CHECK(contains(never.err, " (import): no package of it was ever applied"));
  CHECK(status(scene).exit_code == 0);  // without --max-age, status only reports

  // An import that found no package made the ledger and ran nothing: that is stale too.
  Scenario empty_scene("status-nothing-ran");
  fs::create_directories(empty_scene.media());
  fs::create_directories(empty_scene.offline());
  REQUIRE(empty_scene.import_packages().exit_code == 1);
  REQUIRE(fs::exists(empty_scene.import_state()));
  auto nothing = status(empty_scene, {"--max-age", "7"});
  CHECK(nothing.exit_code == 9);
  CHECK(contains(nothing.err, "import-ledger.sqlite: records no export or import run at all"));
}
