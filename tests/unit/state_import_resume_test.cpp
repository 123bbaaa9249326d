// The import side's resume records in the ledger (schema 2) and the in-place migrations from schemas 1 and 2.
#include <sqlite3.h>

#include <boost/filesystem/operations.hpp>

#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/ledger_helpers.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::state;
using test::open_ledger;
using test::raw_sql;
namespace fs = boost::filesystem;

namespace {

std::int64_t user_version(const fs::path& file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  std::int64_t version = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return version;
}

}  // namespace

TEST_CASE("a schema 1 ledger is migrated in place to the current schema, keeping its id and runs") {
  test::TestDir dir("ledger-migrate");
  fs::path file = dir / "ledger.db";
  std::string id;
  {
    auto ledger = open_ledger(file);
    id = ledger.ledger_id();
    RunRecord run;
    run.kind = RunKind::kImport;
    run.source_id = "source";
    run.sequence = 1;
    auto run_id = ledger.begin_run(run).value();
    REQUIRE(ledger.finish_run(run_id, RunStatus::kSucceeded, "abc", "done", 1, 2).has_value());
  }
  // What a schema-1 ledger looks like: the same, without the resume tables.
  raw_sql(file,
          "DROP TABLE import_verified_volumes; DROP TABLE import_placed_files; DROP TABLE packages_seen; "
          "DROP TABLE approval_sets; DROP TABLE applied_approvals; DROP TABLE metadata_checks; "
          "PRAGMA user_version = 1");
  REQUIRE(user_version(file) == 1);

  auto ledger = open_ledger(file);
  CHECK(user_version(file) == kLedgerSchemaVersion);
  CHECK(ledger.ledger_id() == id);
  auto history = ledger.history().value();
  REQUIRE(history.size() == 1);
  CHECK(history[0].status == RunStatus::kSucceeded);
  CHECK(ledger.verified_volumes("abc").value().empty());
  CHECK(ledger.placed_files("abc").value().empty());
  CHECK(ledger.applied_approvals().value().empty());
  REQUIRE(ledger.record_package_seen({"source", 1, "abc", "2026-11-01T00:00:00Z", {}}).has_value());
}

TEST_CASE("a schema 2 ledger is read as it is when opened read-only and migrated when opened to write") {
  test::TestDir dir("ledger-migrate-2");
  fs::path file = dir / "ledger.db";
  {
    auto ledger = open_ledger(file);
    RunRecord run;
    run.kind = RunKind::kImport;
    run.source_id = "source";
    run.sequence = 4;
    auto run_id = ledger.begin_run(run).value();
    REQUIRE(ledger.finish_run(run_id, RunStatus::kSucceeded, "abc", "done", 1, 2).has_value());
  }
  raw_sql(file,
          "DROP TABLE packages_seen; DROP TABLE approval_sets; DROP TABLE applied_approvals; "
          "DROP TABLE metadata_checks; PRAGMA user_version = 2");

  {
    auto read_only = Ledger::open(file, LedgerAccess::kReadOnly);
    REQUIRE(read_only.has_value());
    auto freshness = read_only->freshness().value();
    REQUIRE(freshness.size() == 1);
    CHECK(freshness[0].last_success->sequence == 4);
    CHECK(freshness[0].last_success_made_utc.empty());  // schema 2 never knew when packages were made
    CHECK_FALSE(freshness[0].newest_seen.has_value());
    CHECK(read_only->approval_history().value().empty());  // schema 2 had no approval sets
    CHECK(user_version(file) == 2);
  }
  auto ledger = open_ledger(file);
  CHECK(user_version(file) == kLedgerSchemaVersion);
  REQUIRE(ledger.record_package_seen({"source", 4, "abc", "2026-11-01T00:00:00Z", {}}).has_value());
  CHECK(ledger.freshness().value()[0].last_success_made_utc == "2026-11-01T00:00:00Z");
}

TEST_CASE("verified volumes and placed files are kept per manifest until the package is applied") {
  test::TestDir dir("ledger-resume-rows");
  auto ledger = open_ledger(dir / "ledger.db");
  REQUIRE(ledger.record_verified_volume("m1", {"content.tar.000", 100, 7}).has_value());
  REQUIRE(ledger.record_verified_volume("m1", {"content.tar.000", 100, 8}).has_value());  // replaces
  REQUIRE(ledger.record_verified_volume("m2", {"content.tar.000", 5, 1}).has_value());
  REQUIRE(ledger.record_placed_files("m1", 3, {{"01/A.cab", 10, 11, "aa"}, {"02/B.cab", 20, 21, "bb"}})
              .has_value());

  auto volumes = ledger.verified_volumes("m1").value();
  REQUIRE(volumes.size() == 1);
  CHECK(volumes[0].name == "content.tar.000");
  CHECK(volumes[0].size == 100);
  CHECK(volumes[0].mtime_ns == 8);
  auto placed = ledger.placed_files("m1").value();
  REQUIRE(placed.size() == 2);
  CHECK(placed[1].path == "02/B.cab");
  CHECK(placed[1].size == 20);
  CHECK(placed[1].mtime_ns == 21);
  CHECK(placed[1].sha256_hex == "bb");

  REQUIRE(ledger.forget_import_progress("m1").has_value());
  CHECK(ledger.verified_volumes("m1").value().empty());
  CHECK(ledger.placed_files("m1").value().empty());
  CHECK(ledger.verified_volumes("m2").value().size() == 1);
}

TEST_CASE("a run left running is closed as interrupted and reads back with that status") {
  test::TestDir dir("ledger-interrupted");
  fs::path file = dir / "ledger.db";
  {
    auto ledger = open_ledger(file);
    RunRecord run;
    run.kind = RunKind::kImport;
    run.source_id = "source";
    run.sequence = 4;
    REQUIRE(ledger.begin_run(run).has_value());
  }
  auto ledger = open_ledger(file);
  auto interrupted = ledger.interrupted_runs().value();
  REQUIRE(interrupted.size() == 1);
  REQUIRE(ledger.finish_run(interrupted[0].id, RunStatus::kInterrupted, "", "interrupted", 0, 0).has_value());
  auto history = ledger.history().value();
  CHECK(history[0].status == RunStatus::kInterrupted);
  CHECK(std::string(to_string(history[0].status)) == "interrupted");
  CHECK(ledger.interrupted_runs().value().empty());
  CHECK_FALSE(ledger.last_applied_import("source").value().has_value());
}
