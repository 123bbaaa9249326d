#include "state/sqlite.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "state/ledger.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::state;

namespace {

sqlite::Database open_db(const fs::path& file) {
  auto db = sqlite::Database::open(file, sqlite::OpenMode::kReadWriteCreate);
  if (!db) FAIL(db.error().message());
  return std::move(*db);
}

std::int64_t count_rows(sqlite::Database& db) {
  auto count = db.query_int("SELECT count(*) FROM t", "count");
  REQUIRE(count.has_value());
  return *count;
}

std::string fmt_path(int writer, int batch, int item) {
  return "0" + std::to_string(writer) + "/W" + std::to_string(batch) + "-" + std::to_string(item) + ".cab";
}

}  // namespace

TEST_CASE("a statement binds text, 64-bit unsigned integers and NULL and reads each back exactly") {
  test::TestDir dir("sqlite-bind");
  auto db = open_db(dir / "t.db");
  REQUIRE(db.exec("CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, d INTEGER)", "create").has_value());
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() - 15;
  const std::string text("with\0nul", 8);
  {
    auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
    REQUIRE(insert.has_value());
    insert->bind(text, big, std::optional<std::uint64_t>{}, std::int64_t{-5});
    REQUIRE(insert->run("insert").has_value());
    insert->bind("second", 2, std::optional<std::uint64_t>{7}, 0);
    REQUIRE(insert->run("insert").has_value());
  }
  auto select = db.prepare("SELECT a, b, c, d FROM t ORDER BY rowid");
  REQUIRE(select.has_value());
  std::vector<std::string> texts;
  std::vector<std::uint64_t> bigs;
  std::vector<std::optional<std::uint64_t>> maybes;
  std::vector<std::int64_t> signeds;
  REQUIRE(select
              ->each_row("read",
                         [&](const sqlite::Statement& row) {
                           texts.push_back(row.get<std::string>(0));
                           bigs.push_back(row.get<std::uint64_t>(1));
                           maybes.push_back(row.get<std::optional<std::uint64_t>>(2));
                           signeds.push_back(row.get<std::int64_t>(3));
                         })
              .has_value());
  CHECK(texts == std::vector<std::string>{text, "second"});
  CHECK(bigs == std::vector<std::uint64_t>{big, 2});
  CHECK(maybes == std::vector<std::optional<std::uint64_t>>{std::nullopt, 7});
  CHECK(signeds == std::vector<std::int64_t>{-5, 0});
}

TEST_CASE("a write transaction is rolled back unless committed") {
  test::TestDir dir("sqlite-transaction");
  auto db = open_db(dir / "t.db");
  REQUIRE(db.exec("CREATE TABLE t (a INTEGER)", "create").has_value());
  {
    auto transaction = db.begin_write("write");
    REQUIRE(transaction.has_value());
    REQUIRE(db.exec("INSERT INTO t VALUES (1)", "insert").has_value());
  }
  CHECK(count_rows(db) == 0);
  {
    auto transaction = db.begin_write("write");
    REQUIRE(transaction.has_value());
    REQUIRE(db.exec("INSERT INTO t VALUES (1)", "insert").has_value());
    REQUIRE(transaction->commit().has_value());
  }
  CHECK(count_rows(db) == 1);
}

TEST_CASE("a statement asked for while its cached copy is stepping gets a copy of its own") {
  test::TestDir dir("sqlite-cache");
  auto db = open_db(dir / "t.db");
  REQUIRE(db.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)", "create").has_value());
  const std::string sql = "SELECT a FROM t ORDER BY a";
  auto outer = db.prepare(sql);
  REQUIRE(outer.has_value());
  REQUIRE(outer->step("read").value());
  auto inner = db.prepare(sql);
  REQUIRE(inner.has_value());
  REQUIRE(inner->step("read").value());
  CHECK(inner->get<int>(0) == 1);
  REQUIRE(outer->step("read").value());
  CHECK(outer->get<int>(0) == 2);
}

TEST_CASE("a failed step names the file and what was being done") {
  test::TestDir dir("sqlite-error");
  auto db = open_db(dir / "t.db");
  REQUIRE(db.exec("CREATE TABLE t (a INTEGER NOT NULL)", "create").has_value());
  auto insert = db.prepare("INSERT INTO t VALUES (?1)");
  REQUIRE(insert.has_value());
  insert->bind(std::optional<int>{});
  auto done = insert->run("store the thing");
  REQUIRE_FALSE(done.has_value());
  CHECK(done.error().what == (dir / "t.db").string());
  CHECK(done.error().why == "cannot store the thing: NOT NULL constraint failed: t.a");
}

TEST_CASE("one ledger shared by threads that write hashes and read the shipped set at once stays whole") {
  test::TestDir dir("ledger-threads");
  auto opened = Ledger::open(dir / "ledger.db");
  REQUIRE(opened.has_value());
  Ledger& ledger = *opened;
  std::vector<std::pair<std::string, std::string>> shipped;
  for (int n = 0; n < 2000; ++n)
    shipped.emplace_back("01/S" + std::to_string(n) + ".cab", std::string(64, 'a'));
  REQUIRE(ledger.record_shipped(1, shipped).has_value());

  constexpr int kWriters = 3, kBatches = 20, kBatch = 100;
  std::vector<std::thread> threads;
  std::vector<int> failures(kWriters + 1, 0);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::pair<std::string, CachedHash>> batch;
        for (int i = 0; i < kBatch; ++i) {
          CachedHash hash{static_cast<std::uint64_t>(i), i, std::nullopt, std::string(64, 'b'),
                          std::string(40, 'c')};
          batch.emplace_back(fmt_path(w, b, i), hash);
        }
        if (!ledger.store_hashes(batch)) ++failures[w];
      }
    });
  }
  threads.emplace_back([&] {
    for (int r = 0; r < 20; ++r) {
      std::size_t pairs = 0;
      auto all = ledger.each_shipped([&](const std::string&, const std::string&) { ++pairs; });
      if (!all || pairs != shipped.size()) ++failures[kWriters];
    }
  });
  for (auto& thread : threads) thread.join();
  CHECK(failures == std::vector<int>(kWriters + 1, 0));
  std::size_t hashes = 0;
  REQUIRE(ledger.each_cached_hash([&](const std::string&, const CachedHash&) { ++hashes; }).has_value());
  CHECK(hashes == static_cast<std::size_t>(kWriters * kBatches * kBatch));
}
