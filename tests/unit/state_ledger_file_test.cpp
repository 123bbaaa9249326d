// A damaged ledger is never a new ledger: what opening refuses, and what it never writes.
#include "state/ledger.h"

#include <sqlite3.h>

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/catch.h"
#include "tests/support/ledger_helpers.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::state;
using test::open_ledger;

namespace {

const std::string kEmptyWhy = "is empty (0 bytes): not a wsus-airgap ledger, and never taken for a new one";

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (fs::directory_iterator it(folder), end; it != end; ++it)
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Overwrites the header and cell pointers of the last b-tree leaf page of `page_type` (0x0D: a table
// with rowids; 0x0A: an index, or a WITHOUT ROWID table such as hash_cache) other than page 1.
void damage_last_page_of_type(const fs::path& file, unsigned char page_type) {
  std::string bytes = test::read_file(file);
  REQUIRE(bytes.size() > 100);
  std::size_t page_size =
      (static_cast<unsigned char>(bytes[16]) << 8) | static_cast<unsigned char>(bytes[17]);
  if (page_size == 1) page_size = 65536;
  REQUIRE(bytes.size() % page_size == 0);
  std::size_t target = 0;
  for (std::size_t page = 1; page < bytes.size() / page_size; ++page) {
    if (static_cast<unsigned char>(bytes[page * page_size]) == page_type) target = page;
  }
  REQUIRE(target != 0);
  for (std::size_t i = 1; i < 64; ++i) bytes[target * page_size + i] = '\xEE';
  test::write_file(file, bytes);
}

}  // namespace

TEST_CASE("a 0-byte ledger file is refused as empty, naming it, and stays 0 bytes") {
  test::TestDir dir("ledger-zero");
  fs::path file = dir / "ledger.db";
  test::write_file(file, "");
  for (auto access : {LedgerAccess::kCreateIfMissing, LedgerAccess::kReadOnly}) {
    auto ledger = Ledger::open(file, access);
    REQUIRE_FALSE(ledger.has_value());
    CHECK(ledger.error().code == ExitCode::kOperational);
    CHECK(ledger.error().what == file.string());
    CHECK(ledger.error().why == kEmptyWhy);
    CHECK(ledger.error().hint.starts_with("restore it from a backup"));
  }
  CHECK(fs::file_size(file) == 0);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"ledger.db"});
}

TEST_CASE("a SQLite database with no tables is refused as empty, never made into a ledger") {
  test::TestDir dir("ledger-no-tables");
  fs::path file = dir / "ledger.db";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (a); DROP TABLE t", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string before = test::read_file(file);
  auto ledger = Ledger::open(file);
  REQUIRE_FALSE(ledger.has_value());
  CHECK(
      ledger.error().why ==
      "is empty (a SQLite database with no tables): not a wsus-airgap ledger, and never taken for a new one");
  CHECK(test::read_file(file) == before);
}

TEST_CASE(
    "a damaged page in the hash cache or in the journal is found when the ledger opens, and not written "
    "over") {
  for (unsigned char page_type : {static_cast<unsigned char>(0x0A), static_cast<unsigned char>(0x0D)}) {
    test::TestDir dir("ledger-damaged-page");
    fs::path file = dir / "ledger.db";
    {
      Ledger ledger = open_ledger(file);
      std::vector<std::pair<std::string, CachedHash>> entries;
      for (int n = 0; n < 3000; ++n)
        entries.emplace_back("0" + std::to_string(n % 10) + "/F" + std::to_string(n) + ".cab",
                             CachedHash{1, 2, 3, std::string(64, 'a'), std::string(40, 'B')});
      REQUIRE(ledger.store_hashes(entries).has_value());
      for (int n = 0; n < 200; ++n) {
        RunRecord run;
        run.source_id = ledger.ledger_id();
        run.sequence = static_cast<std::uint64_t>(n + 1);
        run.message = std::string(200, 'm');
        REQUIRE(ledger.begin_run(run).has_value());
      }
    }
    damage_last_page_of_type(file, page_type);
    const std::string damaged = test::read_file(file);
    for (auto access : {LedgerAccess::kCreateIfMissing, LedgerAccess::kReadOnly}) {
      auto ledger = Ledger::open(file, access);
      INFO("page type " << int(page_type));
      REQUIRE_FALSE(ledger.has_value());
      CHECK(ledger.error().code == ExitCode::kOperational);
      CHECK(ledger.error().what == file.string());
      CHECK(ledger.error().why.starts_with("is damaged: "));
      CHECK(ledger.error().hint.starts_with("restore it from a backup"));
    }
    CHECK(test::read_file(file) == damaged);
  }
}

TEST_CASE("a ledger opened read-only is never created and never written") {
  test::TestDir dir("ledger-read-only");
  fs::path missing = dir / "none" / "ledger.db";
  auto absent = Ledger::open(missing, LedgerAccess::kReadOnly);
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().what == missing.string());
  CHECK(absent.error().why == "does not exist: there is no ledger here");
  CHECK_FALSE(fs::exists(missing.parent_path()));

  fs::path file = dir / "ledger.db";
  std::string id;
  {
    Ledger ledger = open_ledger(file);
    id = ledger.ledger_id();
    RunRecord run;
    run.source_id = id;
    run.sequence = 1;
    REQUIRE(ledger.begin_run(run).has_value());
  }
  const std::string before = test::read_file(file);
  Ledger reader = open_ledger(file, LedgerAccess::kReadOnly);
  CHECK(reader.ledger_id() == id);
  CHECK(reader.history().value().size() == 1);
  RunRecord run;
  run.source_id = id;
  run.sequence = 2;
  auto written = reader.begin_run(run);
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().why.starts_with(
      "cannot record the start of a run: attempt to write a readonly database"));
  CHECK(test::read_file(file) == before);
}

TEST_CASE("a new ledger appears whole under its name and leaves no temp file beside it") {
  test::TestDir dir("ledger-new-whole");
  fs::path file = dir / "ledger.db";
  { open_ledger(file); }
  CHECK(names_in(dir.path()) == std::vector<std::string>{"ledger.db"});
  CHECK(fs::file_size(file) > 0);
  CHECK(open_ledger(file, LedgerAccess::kReadOnly).history().value().empty());
}
