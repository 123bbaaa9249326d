#pragma once
// Helpers for the ledger's unit tests: opening one (the test fails with the ledger's message when it
// cannot), and SQL run on the file behind the Ledger's back, as a damaged or older file would look.

#include <sqlite3.h>

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <utility>

#include "state/ledger.h"
#include "tests/support/catch.h"

namespace wsa::test {

inline state::Ledger open_ledger(const boost::filesystem::path& file,
                                 state::LedgerAccess access = state::LedgerAccess::kCreateIfMissing) {
  auto ledger = state::Ledger::open(file, access);
  if (!ledger) FAIL(ledger.error().message());
  return std::move(*ledger);
}

inline void raw_sql(const boost::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace wsa::test
