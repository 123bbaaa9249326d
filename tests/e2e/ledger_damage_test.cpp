// A damaged ledger is never a new ledger: an empty or garbage --state file is refused by export,
// import and status alike and left as it was; status never creates one; and an import does not start a
// new ledger beside a WsusContent that already holds content unless told so with --new-ledger.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <string>

#include "tests/support/catch.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// The files of a folder whose names start with `prefix` (a ledger and its -wal, -shm, .lock, temp files).
std::vector<std::string> files_named(const fs::path& folder, const std::string& prefix) {
  std::vector<std::string> found;
  if (!fs::exists(folder)) return found;
  for (fs::directory_iterator it(folder), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (name.starts_with(prefix)) found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

const std::string kEmptyWhy = "is empty (0 bytes): not a wsus-airgap ledger, and never taken for a new one";

}  // namespace

TEST_CASE("an export refuses a 0-byte ledger, naming it, writes no package and leaves the file empty") {
  Scenario scene("ledger-empty-export", 4);
  fs::create_directories(scene.export_state().parent_path());
  write_file(scene.export_state(), "");
  auto exported = scene.export_package();
  CHECK(exported.exit_code == 1);
  CHECK(contains(exported.err, "wsus-airgap: error: " + scene.export_state().string() + ": " + kEmptyWhy));
  CHECK(contains(exported.err, "hint: restore it from a backup"));
  CHECK(fs::file_size(scene.export_state()) == 0);
  CHECK_FALSE(fs::exists(scene.package(1)));
  CHECK_FALSE(fs::exists(fs::path(scene.package(1).string() + ".partial")));
}

TEST_CASE("an import refuses its 0-byte ledger and applies nothing again") {
  Scenario scene("ledger-empty-import", 4);
  REQUIRE(scene.export_package().exit_code == 0);
  auto first = scene.import_packages();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto before = snapshot(scene.offline());
  fs::resize_file(scene.import_state(), 0);

  auto again = scene.import_packages();
  CHECK(again.exit_code == 1);
  CHECK(contains(again.err, "wsus-airgap: error: " + scene.import_state().string() + ": " + kEmptyWhy));
  CHECK(fs::file_size(scene.import_state()) == 0);
  CHECK(snapshot(scene.offline()) == before);
}

TEST_CASE("a file that is not a database is refused as a ledger by export, import and status, unchanged") {
  Scenario scene("ledger-garbage", 4);
  const std::string garbage = "SQLite format 2\n" + std::string(3000, '#');
  fs::create_directories(scene.export_state().parent_path());
  fs::create_directories(scene.import_state().parent_path());
  fs::create_directories(scene.offline());
  write_file(scene.export_state(), garbage);
  write_file(scene.import_state(), garbage);

  auto exported = scene.export_package();
  CHECK(exported.exit_code == 1);
  CHECK(contains(exported.err,
                 scene.export_state().string() + ": is not a wsus-airgap ledger: file is not a database"));
  auto status = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(status.exit_code == 1);
  CHECK(contains(status.err,
                 scene.import_state().string() + ": is not a wsus-airgap ledger: file is not a database"));
  CHECK(read_file(scene.export_state()) == garbage);
  CHECK(read_file(scene.import_state()) == garbage);
}

TEST_CASE("status on a missing ledger says there is none, exits 1 and creates nothing") {
  Scenario scene("ledger-status-missing", 2);
  fs::path missing = scene.root() / "nowhere" / "ledger.sqlite";
  auto status = scene.airgap({"status", "--state", missing.string()});
  CHECK(status.exit_code == 1);
  CHECK(contains(status.err,
                 "wsus-airgap: error: " + missing.string() + ": does not exist: there is no ledger here"));
  CHECK_FALSE(fs::exists(missing.parent_path()));

  fs::create_directories(missing.parent_path());
  status = scene.airgap({"status", "--state", missing.string(), "--json"});
  CHECK(status.exit_code == 1);
  CHECK(files_named(missing.parent_path(), "ledger.sqlite").empty());
}

TEST_CASE("status reads a ledger without writing to it") {
  Scenario scene("ledger-status-readonly", 4);
  REQUIRE(scene.export_package().exit_code == 0);
  auto before = read_file(scene.export_state());
  auto status = scene.airgap({"status", "--state", scene.export_state().string()});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "1 run(s)"));
  CHECK(read_file(scene.export_state()) == before);
}

TEST_CASE(
    "an import refuses to start a new ledger beside a WsusContent that holds content, unless --new-ledger") {
  Scenario scene("ledger-new-beside-content", 4);
  REQUIRE(scene.export_package().exit_code == 0);
  auto first = scene.import_packages();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  fs::remove(scene.import_state());  // lost: a new disk, a wrong --state, a deleted file
  auto before = snapshot(scene.offline());

  auto refused = scene.import_packages();
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "wsus-airgap: error: " + scene.import_state().string() +
                                  ": does not exist, but " + scene.offline().string() +
                                  " already holds content files"));
  CHECK(contains(refused.err, "add --new-ledger"));
  CHECK(files_named(scene.import_state().parent_path(), "import-ledger.sqlite") ==
        std::vector<std::string>{"import-ledger.sqlite.lock"});
  CHECK(snapshot(scene.offline()) == before);

  auto told = scene.import_packages({"--new-ledger"});
  INFO(told.err);
  CHECK(told.exit_code == 0);
  CHECK(fs::file_size(scene.import_state()) > 0);
  auto status = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(contains(status.out, "1 run(s)"));
}

TEST_CASE("a first import into an empty WsusContent starts its ledger without being told") {
  Scenario scene("ledger-new-empty-content", 4);
  REQUIRE(scene.export_package().exit_code == 0);
  auto first = scene.import_packages();
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(fs::file_size(scene.import_state()) > 0);
}
