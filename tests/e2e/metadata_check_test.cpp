// Export's completeness check of the metadata package (export/metadata_check.cpp): a check that found
// every referenced file is remembered by the package's SHA-256 and the scan listing's digest, so an
// unchanged re-export does not parse the same package again; a changed store, a gap or other package
// bytes are always read and checked again.
#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <set>

#include "tests/support/catalog.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

fs::path export_metadata(const Scenario& scene) {
  fs::path package = scene.root() / "metadata.xml.gz";
  auto exported = scene.sim({"export", package.string(), (scene.root() / "metadata.log").string()});
  REQUIRE(exported.exit_code == 0);
  return package;
}

RunResult export_with(const Scenario& scene, const fs::path& package, std::vector<std::string> extra) {
  std::vector<std::string> args = {"export",
                                   "--content",
                                   scene.connected().string(),
                                   "--media",
                                   scene.media().string(),
                                   "--key",
                                   scene.key().string(),
                                   "--state",
                                   scene.export_state().string(),
                                   "--metadata",
                                   package.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.airgap(args);
}

// The "metadata_check" object of a --json dry run that must succeed.
json dry_run_check(const Scenario& scene, const fs::path& package) {
  auto run = export_with(scene, package, {"--dry-run", "--json"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return json::parse(run.out)["metadata_check"];
}

}  // namespace

TEST_CASE("an unchanged re-export with the same metadata package takes the earlier check's answer") {
  Scenario scene("metadata-check-remembered");
  fs::path package = export_metadata(scene);
  std::set<std::string> distinct;
  for (const auto& file : catalog_files(scene)) distinct.insert(file.path);
  const auto referenced = distinct.size();

  json first = dry_run_check(scene, package);
  CHECK(first["files_referenced"] == referenced);
  CHECK(first["files_missing"] == 0);
  CHECK(first["remembered_from"].is_null());  // read and checked

  json second = dry_run_check(scene, package);
  CHECK(second["files_referenced"] == referenced);
  CHECK(second["files_missing"] == 0);
  REQUIRE(second["remembered_from"].is_string());
  CHECK(second["remembered_from"].get<std::string>().size() == 20);  // 2026-12-02T06:46:11Z

  // The real export copies the same bytes into the package: remembered too, and the package is sound.
  auto exported = export_with(scene, package, {});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(contains(exported.out, std::to_string(referenced) +
                                   " file(s) the metadata references: all in the store (the same package "
                                   "and store as the check of "));
  CHECK(contains(exported.out, ": not read again)"));
  CHECK(scene.verify_media().exit_code == 0);
}

TEST_CASE("a changed store, a gap or other package bytes make export read and check the package again") {
  Scenario scene("metadata-check-again");
  fs::path package = export_metadata(scene);
  REQUIRE(dry_run_check(scene, package)["files_missing"] == 0);
  REQUIRE(dry_run_check(scene, package)["remembered_from"].is_string());

  // A referenced file goes missing: the listing differs, the package is read, the gap is named.
  const auto file = catalog_files(scene).front();
  const fs::path on_disk = scene.connected() / file.path;
  const fs::path aside = scene.root() / "aside";
  fs::rename(on_disk, aside);
  for (int run = 0; run < 2; ++run) {  // a check with gaps is never remembered
    auto gap = export_with(scene, package, {"--dry-run"});
    INFO(gap.err);
    CHECK(gap.exit_code == 0);
    CHECK(contains(gap.out, "1 not in the store (see the warnings)"));
    CHECK(contains(gap.err, "approve the update on this server"));
  }

  // The same bytes back under the same name (a new mtime, so hashed again): the same listing digest.
  fs::copy_file(aside, on_disk);
  CHECK(dry_run_check(scene, package)["remembered_from"].is_string());

  // Other bytes under the same package name: never taken from the check of the first ones.
  fs::path damaged = scene.root() / "damaged.xml.gz";
  fs::copy_file(package, damaged);
  fs::resize_file(damaged, fs::file_size(damaged) / 2);
  auto refused = export_with(scene, damaged, {"--dry-run"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, damaged.string()));
}
