#include "state/ledger_file.h"

#include <boost/filesystem/operations.hpp>

#include <array>
#include <random>

#include <fmt/format.h>

#include "state/run_journal.h"

namespace wsa::state {

namespace {

// The schema of kLedgerSchemaVersion, created in one transaction with the ledger_info row.
constexpr const char* kSchema = R"sql(
CREATE TABLE ledger_info (
  id TEXT NOT NULL,
  created TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  manifest_sha256 TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  package_dir TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  files INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runs_by_chain ON runs (kind, source_id, status, sequence);
CREATE TABLE hash_cache (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  file_id INTEGER,
  sha256 TEXT NOT NULL,
  sha1 TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE shipped (
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  PRIMARY KEY (path, sha256)) WITHOUT ROWID;
)sql";

// What schema 2 adds to schema 1: an interrupted import's verified volumes and placed files. Created
// with kSchema in a new ledger, and alone when a schema-1 ledger is migrated.
constexpr const char* kSchemaV2Additions = R"sql(
CREATE TABLE import_verified_volumes (
  manifest_sha256 TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  PRIMARY KEY (manifest_sha256, name)) WITHOUT ROWID;
CREATE TABLE import_placed_files (
  manifest_sha256 TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  PRIMARY KEY (manifest_sha256, path)) WITHOUT ROWID;
)sql";

// The oldest schema prepare_schema can migrate in place to kLedgerSchemaVersion.
constexpr int kOldestMigratableSchema = 1;

// A random (version 4) UUID: the source id must not collide between servers that never talk.
std::string random_uuid() {
  std::random_device entropy;
  std::array<unsigned char, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    std::uint32_t word = entropy();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text += fmt::format("{:02x}", bytes[i]);
  }
  return text;
}

Result<void> check_version(const fs::path& file, std::int64_t version) {
  if (version > kLedgerSchemaVersion) {
    return make_error(ExitCode::kOperational, file.string(),
                      fmt::format("was written by a newer wsus-airgap (schema {}); this one reads schema {}: "
                                  "upgrade wsus-airgap",
                                  version, kLedgerSchemaVersion));
  }
  if (version < 0 || (version > 0 && version < kOldestMigratableSchema)) {
    // Only schema 1 has a migration (prepare_schema); anything older predates the first release.
    return make_error(ExitCode::kOperational, file.string(),
                      fmt::format("was written by an older wsus-airgap (schema {}); this one reads schema {}",
                                  version, kLedgerSchemaVersion),
                      "use the wsus-airgap version that wrote it");
  }
  return {};
}

Result<void> create_schema(sqlite::Database& db) {
  auto tables = db.query_int("SELECT count(*) FROM sqlite_schema", "read the schema");
  if (!tables) return std::unexpected(tables.error());
  if (*tables != 0) {
    return make_error(ExitCode::kOperational, db.path().string(),
                      "is not a wsus-airgap ledger: it is a SQLite database of another program",
                      "point --state at a wsus-airgap ledger, or at a new file");
  }
  if (auto created = db.exec(kSchema, "create the ledger"); !created) return created;
  if (auto added = db.exec(kSchemaV2Additions, "create the ledger"); !added) return added;
  auto insert = db.prepare("INSERT INTO ledger_info (id, created) VALUES (?1, ?2)", "create the ledger");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(random_uuid(), utc_now());
  if (auto done = insert->run("create the ledger"); !done) return done;
  // The version is written last, in the same transaction: a half-created ledger is never version 1.
  return db.exec(fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion), "create the ledger");
}

// Checks (and for a new file, creates) the schema and returns the ledger's id. Runs inside one write
// transaction so two runs that open a new ledger at the same time cannot both create it.
Result<std::string> prepare_schema(sqlite::Database& db) {
  auto transaction = db.begin_write("open the ledger");
  if (!transaction) return std::unexpected(transaction.error());
  auto version = db.query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = check_version(db.path(), *version); !supported)
    return std::unexpected(supported.error());
  if (*version == 0) {
    if (auto created = create_schema(db); !created) return std::unexpected(created.error());
  }
  if (*version == 1) {
    // 1 -> 2 only adds tables, in this same transaction: a crash leaves the ledger at schema 1, intact.
    if (auto added = db.exec(kSchemaV2Additions, "migrate the ledger to schema 2"); !added)
      return std::unexpected(added.error());
    auto pragma = fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion);
    if (auto set = db.exec(pragma, "migrate the ledger to schema 2"); !set)
      return std::unexpected(set.error());
  }
  std::string id;
  {
    auto select = db.prepare("SELECT id FROM ledger_info", "read the ledger id");
    if (!select) return std::unexpected(select.error());
    auto row = select->step("read the ledger id");
    if (!row) return std::unexpected(row.error());
    if (*row) id = select->get<std::string>(0);
  }
  if (id.empty()) {
    return make_error(ExitCode::kOperational, db.path().string(),
                      "is not a wsus-airgap ledger: it has no ledger id", sqlite::kNotALedgerHint);
  }
  if (auto committed = transaction->commit(); !committed) return std::unexpected(committed.error());
  return id;
}

}  // namespace

Result<LedgerFile> open_ledger_file(const fs::path& file) {
  if (file.has_parent_path()) {
    boost::system::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) {
      return make_error(ExitCode::kOperational, file.parent_path().string(),
                        "cannot create the ledger's folder: " + ec.message());
    }
  }
  auto db = sqlite::Database::open(file, sqlite::OpenMode::kReadWriteCreate);
  if (!db) return std::unexpected(db.error());
  // The version is checked before anything is changed, so a newer ledger is left exactly as it was.
  auto version = db->query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = check_version(file, *version); !supported) return std::unexpected(supported.error());
  // WAL lets `history` read while a run writes; FULL makes every committed journal row survive a
  // power cut (the journal is what tells the next run that an earlier one was interrupted).
  if (auto wal = db->exec("PRAGMA journal_mode = WAL", "switch to WAL mode"); !wal)
    return std::unexpected(wal.error());
  if (auto sync = db->exec("PRAGMA synchronous = FULL", "set synchronous mode"); !sync)
    return std::unexpected(sync.error());
  auto id = prepare_schema(*db);
  if (!id) return std::unexpected(id.error());
  return LedgerFile{std::move(*db), std::move(*id)};
}

}  // namespace wsa::state
