#pragma once
// Opening the ledger file: the schema (created in a new file, migrated from an older one), its
// version check, and the ledger's id.

#include <boost/filesystem/path.hpp>

#include <string>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

namespace fs = boost::filesystem;

// PRAGMA user_version of the schema this build writes; an older ledger (from schema 1) is migrated in
// place when opened for writing (2 added the import resume tables, 3 the packages seen, 4 the approval
// sets); a read-only open leaves it as it is. Newer ledgers are refused naming the schema they have.
inline constexpr int kLedgerSchemaVersion = 5;

struct LedgerFile {
  sqlite::Database db;
  std::string id;  // ledger_info.id: a random UUID made when the ledger was created
};

enum class LedgerAccess {
  kCreateIfMissing,  // export and import: a missing file becomes a new ledger (and its folder)
  kReadOnly,         // status, gaps, reports: the file must exist; nothing is ever written or created
};

// Opens the ledger; with kCreateIfMissing a missing file is created complete beside its final name
// and renamed into place, so a ledger file is never seen half-made. An existing file is never taken
// for a new ledger: one that is empty (0 bytes, or a SQLite database with no tables), not a database,
// of another program, of a newer or older schema, or damaged (PRAGMA quick_check, so a bad page in
// any table is found before anything writes over it) is refused (kOperational), naming the file and
// saying to restore it from a backup. Read-write opens use WAL mode and synchronous FULL.
Result<LedgerFile> open_ledger_file(const fs::path& file,
                                    LedgerAccess access = LedgerAccess::kCreateIfMissing);

}  // namespace wsa::state
