// The export side's remembered metadata checks (schema 5): found only for the same package and listing,
// the newest kept, and added in place to a schema 4 ledger.
#include <sqlite3.h>

#include <boost/filesystem/operations.hpp>

#include <string>

#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/ledger_helpers.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::state;
using test::open_ledger;
namespace fs = boost::filesystem;

namespace {

MetadataCheck check_of(const std::string& package, const std::string& listing, const std::string& when) {
  return {package, listing, 3, 2, 5, when};
}

}  // namespace

TEST_CASE("a metadata check is found only for the same package and the same listing") {
  test::TestDir dir("metadata-checks");
  auto ledger = open_ledger(dir / "ledger.db");
  CHECK_FALSE(ledger.knows_metadata_package("p1").value());
  REQUIRE(ledger.record_metadata_check(check_of("p1", "l1", "2026-12-01T10:00:00Z")).has_value());

  CHECK(ledger.knows_metadata_package("p1").value());
  CHECK_FALSE(ledger.knows_metadata_package("p2").value());
  auto found = ledger.find_metadata_check("p1", "l1").value();
  REQUIRE(found.has_value());
  CHECK(found->updates_read == 3);
  CHECK(found->updates_checked == 2);
  CHECK(found->files_checked == 5);
  CHECK(found->checked_utc == "2026-12-01T10:00:00Z");
  CHECK_FALSE(ledger.find_metadata_check("p1", "l2").value().has_value());  // the store changed
  CHECK_FALSE(ledger.find_metadata_check("p2", "l1").value().has_value());  // another package
}

TEST_CASE("only the newest metadata checks are kept") {
  test::TestDir dir("metadata-checks-pruned");
  auto ledger = open_ledger(dir / "ledger.db");
  const int recorded = MetadataChecks::kKept + 3;
  for (int i = 0; i < recorded; ++i) {
    std::string when = "2026-12-01T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z";
    REQUIRE(ledger.record_metadata_check(check_of("p" + std::to_string(i), "l", when)).has_value());
  }
  for (int i = 0; i < recorded; ++i) {
    bool kept = i >= recorded - MetadataChecks::kKept;
    INFO("check " << i);
    CHECK(ledger.find_metadata_check("p" + std::to_string(i), "l").value().has_value() == kept);
  }
}

TEST_CASE("a schema 4 ledger gains the metadata checks when opened to write") {
  test::TestDir dir("metadata-checks-migrate");
  fs::path file = dir / "ledger.db";
  std::string id;
  {
    auto ledger = open_ledger(file);
    id = ledger.ledger_id();
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
  int rc = sqlite3_exec(db, "DROP TABLE metadata_checks; PRAGMA user_version = 4", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);

  auto ledger = open_ledger(file);
  CHECK(ledger.ledger_id() == id);
  CHECK_FALSE(ledger.knows_metadata_package("p1").value());
  REQUIRE(ledger.record_metadata_check(check_of("p1", "l1", "")).has_value());
  auto found = ledger.find_metadata_check("p1", "l1").value();
  REQUIRE(found.has_value());
  CHECK(found->checked_utc.size() == 20);  // an empty time means now, in UTC: 2026-12-01T10:00:00Z
}
