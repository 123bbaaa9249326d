// wsusutil-sim import: records what a package carries, and refuses damaged packages before touching
// its state.
#include <boost/filesystem/operations.hpp>

#include "tests/e2e/sim_inspection.h"
#include "tests/support/catch.h"

using namespace wsa::test;
using namespace wsa::test::sim;

namespace {

using Identity = std::tuple<std::string, int, std::string>;  // update id, revision, title

std::set<Identity> catalog_identities(const Json& catalog) {
  std::set<Identity> identities;
  for (const auto& update : catalog.at("updates")) {
    identities.emplace(update.at("update_id"), update.at("revision"), update.at("title"));
  }
  return identities;
}

std::set<Identity> state_identities(const Json& state) {
  std::set<Identity> identities;
  for (const auto& update : state.at("updates")) {
    identities.emplace(update.at("update_id"), update.at("revision"), update.at("title"));
  }
  return identities;
}

void export_package(const TestDir& dir, const std::string& package, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"export", (dir / package).string(), (dir / "export.log").string(),
                                   "--catalog", (dir / "catalog.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  REQUIRE(run_sim(args, dir.path()).exit_code == 0);
}

RunResult import_package(const TestDir& dir, const std::string& package,
                         const std::string& log = "import.log") {
  return run_sim(
      {"import", (dir / package).string(), (dir / log).string(), "--state", (dir / "state.json").string()},
      dir.path());
}

std::vector<std::string> error_lines(const std::string& log) {
  std::vector<std::string> errors;
  for (const auto& line : lines_of(log)) {
    if (line.find(" UTC\tError\tWsusUtil.1\tImportPackage.Import\t") != std::string::npos)
      errors.push_back(line);
  }
  return errors;
}

}  // namespace

TEST_CASE("importing a CAB records every update's id, revision and title in the state file") {
  TestDir dir("sim-import-cab");
  generate(dir.path(), {"--seed", "201"});
  export_package(dir, "export.cab");
  auto result = import_package(dir, "export.cab");
  const std::string log = read_file(dir / "import.log");
  INFO(log);
  REQUIRE(result.exit_code == 0);

  const Json state = read_json(dir / "state.json");
  CHECK(state.at("format") == "wsusutil-sim-state");
  CHECK(state.at("version") == 1);
  CHECK(state.at("updates").size() == 20);
  CHECK(state_identities(state) == catalog_identities(read_json(dir / "catalog.json")));
  for (const auto& update : state.at("updates")) {
    CHECK(update.at("package") == (dir / "export.cab").string());
    CHECK(update.at("imported_at").get<std::string>().size() == 24);  // 2026-11-20T08:00:00.000Z
  }
  REQUIRE(state.at("imports").size() == 1);
  CHECK(state.at("imports")[0].at("updates") == 20);
  CHECK(error_lines(log).empty());
  CHECK(lines_of(log).back().find(
            "\tInfo\tWsusUtil.1\tImportPackage.Import\tImport completed: imported 20 updates "
            "from " +
            (dir / "export.cab").string()) != std::string::npos);
}

TEST_CASE("importing the .xml.gz form records the same updates as the CAB form") {
  TestDir dir("sim-import-xmlgz");
  generate(dir.path(), {"--seed", "202", "--updates", "35"});
  export_package(dir, "export.xml.gz");
  REQUIRE(import_package(dir, "export.xml.gz").exit_code == 0);
  CHECK(state_identities(read_json(dir / "state.json")) ==
        catalog_identities(read_json(dir / "catalog.json")));
}

TEST_CASE("import tells the package form by its magic bytes, not by its name") {
  TestDir dir("sim-import-magic");
  generate(dir.path(), {"--seed", "203", "--updates", "4"});
  export_package(dir, "export.cab");
  boost::filesystem::copy_file(dir / "export.cab", dir / "misnamed.xml.gz");
  REQUIRE(import_package(dir, "misnamed.xml.gz").exit_code == 0);
  CHECK(read_file(dir / "import.log").find("Package (cab) from server") != std::string::npos);
  CHECK(read_json(dir / "state.json").at("updates").size() == 4);
}

TEST_CASE("a later import of a newer revision replaces the update's entry and adds an import record") {
  TestDir dir("sim-import-revision");
  generate(dir.path(), {"--seed", "204", "--updates", "5"});
  export_package(dir, "first.xml.gz");
  REQUIRE(import_package(dir, "first.xml.gz").exit_code == 0);

  Json catalog = read_json(dir / "catalog.json");
  const std::string revised_id = catalog["updates"][0]["update_id"];
  catalog["updates"][0]["revision"] = 999;
  write_file(dir / "catalog.json", catalog.dump(2));
  export_package(dir, "second.cab");
  REQUIRE(import_package(dir, "second.cab").exit_code == 0);

  const Json state = read_json(dir / "state.json");
  REQUIRE(state.at("updates").size() == 5);
  CHECK(state.at("updates")[0].at("update_id") == revised_id);
  CHECK(state.at("updates")[0].at("revision") == 999);
  CHECK(state.at("updates")[0].at("package") == (dir / "second.cab").string());
  CHECK(state.at("imports").size() == 2);
}

TEST_CASE("import refuses a zero-byte package with exit 1 and an Error line, leaving the state file alone") {
  TestDir dir("sim-import-zero-byte");
  generate(dir.path(), {"--seed", "205", "--updates", "3"});
  export_package(dir, "good.cab");
  REQUIRE(import_package(dir, "good.cab").exit_code == 0);
  const std::string state_before = read_file(dir / "state.json");
  for (const std::string package : {"empty.cab", "empty.xml.gz"}) {
    export_package(dir, package, {"--fail", "zero-byte"});
    auto result = import_package(dir, package);
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(read_file(dir / "import.log"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("Import failed: " + (dir / package).string() +
                         ": the package is empty (0 bytes): the export did not complete (KB2819484)") !=
          std::string::npos);
    CHECK(read_file(dir / "state.json") == state_before);
  }
}

TEST_CASE("import refuses truncated packages of both forms with exit 1 and an Error line naming the damage") {
  TestDir dir("sim-import-truncated");
  generate(dir.path(), {"--seed", "206"});
  export_package(dir, "cut.xml.gz", {"--fail", "truncated"});
  export_package(dir, "cut.cab", {"--fail", "truncated"});

  CHECK(import_package(dir, "cut.xml.gz").exit_code == 1);
  auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("truncated: the gzip stream ends before its trailer") != std::string::npos);

  CHECK(import_package(dir, "cut.cab").exit_code == 1);
  errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("Import failed: " + (dir / "cut.cab").string() + ": ") != std::string::npos);
  CHECK_FALSE(boost::filesystem::exists(dir / "state.json"));
}

TEST_CASE("import refuses corrupt packages of both forms with exit 1 and an Error line, writing no state") {
  TestDir dir("sim-import-corrupt");
  generate(dir.path(), {"--seed", "207"});
  export_package(dir, "bad.xml.gz", {"--fail", "corrupt"});
  export_package(dir, "bad.cab", {"--fail", "corrupt"});

  CHECK(import_package(dir, "bad.xml.gz").exit_code == 1);
  auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("corrupt gzip data") != std::string::npos);

  CHECK(import_package(dir, "bad.cab").exit_code == 1);
  errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("Import failed: " + (dir / "bad.cab").string() + ": ") != std::string::npos);
  CHECK_FALSE(boost::filesystem::exists(dir / "state.json"));
}

TEST_CASE("import refuses a file that is neither CAB nor gzip by its first bytes") {
  TestDir dir("sim-import-not-a-package");
  write_file(dir / "notes.cab", "hello, this is not a cabinet");
  CHECK(import_package(dir, "notes.cab").exit_code == 1);
  const auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("not an export package: it starts with neither the CAB (MSCF) nor the gzip (1f 8b) "
                       "signature") != std::string::npos);
}

TEST_CASE("import refuses an .xml.gz whose embedded upd:Update names another update") {
  TestDir dir("sim-import-mismatch");
  write_gzip(dir / "forged.xml.gz",
             "<ExportPackage ServerID=\"s\"><Updates>"
             "<Update UpdateId=\"11111111-1111-4111-8111-111111111111\" RevisionNumber=\"1\">"
             "<upd:Update xmlns:upd=\"http://schemas.microsoft.com/msus/2002/12/Update\">"
             "<upd:UpdateIdentity UpdateID=\"22222222-2222-4222-8222-222222222222\" RevisionNumber=\"1\"/>"
             "</upd:Update></Update></Updates></ExportPackage>");
  CHECK(import_package(dir, "forged.xml.gz").exit_code == 1);
  const auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("describes 22222222-2222-4222-8222-222222222222 revision 1") != std::string::npos);
}

TEST_CASE("import refuses a package with a DTD") {
  TestDir dir("sim-import-dtd");
  write_gzip(dir / "dtd.xml.gz",
             "<?xml version=\"1.0\"?><!DOCTYPE ExportPackage [<!ENTITY a \"aaaa\">]>"
             "<ExportPackage><Updates/></ExportPackage>");
  CHECK(import_package(dir, "dtd.xml.gz").exit_code == 1);
  const auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("a DOCTYPE declaration (DTDs are refused)") != std::string::npos);
}

TEST_CASE("WSUSUTIL_SIM_FAIL=exit makes import exit 1 with an Error line and no state change") {
  TestDir dir("sim-import-fail-exit");
  generate(dir.path(), {"--seed", "208", "--updates", "2"});
  export_package(dir, "export.cab");
  ScopedEnv fail("WSUSUTIL_SIM_FAIL", "exit");
  CHECK(import_package(dir, "export.cab").exit_code == 1);
  const auto errors = error_lines(read_file(dir / "import.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("Import failed: the simulator was asked to fail (WSUSUTIL_SIM_FAIL=exit)") !=
        std::string::npos);
  CHECK_FALSE(boost::filesystem::exists(dir / "state.json"));
}

TEST_CASE("the state file comes from WSUSUTIL_SIM_STATE, or sits beside the log when it is unset") {
  TestDir dir("sim-import-state-location");
  generate(dir.path(), {"--seed", "209", "--updates", "2"});
  export_package(dir, "export.cab");
  boost::filesystem::create_directories(dir / "logs");
  {
    ScopedEnv state("WSUSUTIL_SIM_STATE", (dir / "from-env.json").string());
    REQUIRE(run_sim({"import", (dir / "export.cab").string(), (dir / "logs/a.log").string()}, dir.path())
                .exit_code == 0);
    CHECK(read_json(dir / "from-env.json").at("updates").size() == 2);
  }
  ScopedEnv state("WSUSUTIL_SIM_STATE", std::nullopt);
  REQUIRE(run_sim({"import", (dir / "export.cab").string(), (dir / "logs/b.log").string()}, dir.path())
              .exit_code == 0);
  CHECK(read_json(dir / "logs/wsusutil-sim-state.json").at("updates").size() == 2);
}

TEST_CASE("a slow import (WSUSUTIL_SIM_DELAY_MS) lasts at least the delay") {
  TestDir dir("sim-import-delay");
  generate(dir.path(), {"--seed", "210", "--updates", "2"});
  export_package(dir, "export.cab");
  ScopedEnv delay("WSUSUTIL_SIM_DELAY_MS", "500");
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(import_package(dir, "export.cab").exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(500));
}
