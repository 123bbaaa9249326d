#pragma once
// Opening the ledger file: the schema (created in a new file, migrated from an older one), its
// version check, and the ledger's id.

#include <boost/filesystem/path.hpp>

#include <string>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

namespace fs = boost::filesystem;

// PRAGMA user_version of the schema this build writes; a schema-1 ledger is migrated in place (2 only
// adds the import resume tables), newer ledgers are refused naming the schema they have.
inline constexpr int kLedgerSchemaVersion = 2;

struct LedgerFile {
  sqlite::Database db;
  std::string id;  // ledger_info.id: a random UUID made when the ledger was created
};

// Opens or creates the ledger (and its folder). WAL mode, synchronous FULL. Refuses (kOperational) a
// newer or older schema and a file that is not a wsus-airgap ledger, naming the file.
Result<LedgerFile> open_ledger_file(const fs::path& file);

}  // namespace wsa::state
