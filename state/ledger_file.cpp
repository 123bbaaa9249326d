#include "state/ledger_file.h"

#include <boost/filesystem/operations.hpp>

#include <array>
#include <optional>
#include <random>
#include <vector>

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

// What schema 3 adds: every signed package an import looked at, with the time it was made, so
// `status` can say how old the newest package seen and the newest applied are.
constexpr const char* kSchemaV3Additions = R"sql(
CREATE TABLE packages_seen (
  source_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  created TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (source_id, sequence, manifest_sha256)) WITHOUT ROWID;
)sql";

// What schema 4 adds: the approval sets imports applied, and the approvals the last one left in place.
constexpr const char* kSchemaV4Additions = R"sql(
CREATE TABLE approval_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  recorded TEXT NOT NULL,
  result TEXT NOT NULL,
  applied INTEGER NOT NULL,
  not_applied INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  drift INTEGER NOT NULL,
  eula_gaps INTEGER NOT NULL,
  missing_updates INTEGER NOT NULL,
  summary TEXT NOT NULL);
CREATE TABLE applied_approvals (
  update_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  PRIMARY KEY (update_id, revision, group_id)) WITHOUT ROWID;
)sql";

// What schema 5 adds: the metadata checks that found a store complete, so an unchanged re-export does not
// parse the same package again (state/metadata_checks.h).
constexpr const char* kSchemaV5Additions = R"sql(
CREATE TABLE metadata_checks (
  package_sha256 TEXT NOT NULL,
  listing_sha256 TEXT NOT NULL,
  updates_read INTEGER NOT NULL,
  updates_checked INTEGER NOT NULL,
  files_checked INTEGER NOT NULL,
  checked TEXT NOT NULL,
  PRIMARY KEY (package_sha256, listing_sha256)) WITHOUT ROWID;
)sql";

// Each schema after 1, as what it adds to the one before: a new ledger runs them all after kSchema,
// an older one those above its version. Additions only, so an older build's rows stay valid.
struct SchemaStep {
  int version;
  const char* additions;
};
constexpr std::array<SchemaStep, 4> kSchemaSteps = {
    {{2, kSchemaV2Additions}, {3, kSchemaV3Additions}, {4, kSchemaV4Additions}, {5, kSchemaV5Additions}}};
static_assert(kSchemaSteps.back().version == kLedgerSchemaVersion, "every schema version has its step");

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
    // Schemas from 1 on are migrated (prepare_schema); anything older predates the first release.
    return make_error(ExitCode::kOperational, file.string(),
                      fmt::format("was written by an older wsus-airgap (schema {}); this one reads schema {}",
                                  version, kLedgerSchemaVersion),
                      "use the wsus-airgap version that wrote it");
  }
  return {};
}

// The schema of a new ledger, written in one transaction with its id; the version last.
Result<void> create_schema(sqlite::Database& db) {
  auto transaction = db.begin_write("create the ledger");
  if (!transaction) return std::unexpected(transaction.error());
  if (auto created = db.exec(kSchema, "create the ledger"); !created) return created;
  for (const auto& step : kSchemaSteps) {
    if (auto added = db.exec(step.additions, "create the ledger"); !added) return added;
  }
  auto insert = db.prepare("INSERT INTO ledger_info (id, created) VALUES (?1, ?2)", "create the ledger");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(random_uuid(), utc_now());
  if (auto done = insert->run("create the ledger"); !done) return done;
  // The version is written last, in the same transaction: a half-created ledger is never version 1.
  auto pragma = fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion);
  if (auto set = db.exec(pragma, "create the ledger"); !set) return set;
  return transaction->commit();
}

// Removes a temp file on every path out unless it was renamed into place.
class TempLedger {
 public:
  explicit TempLedger(fs::path path) : path_(std::move(path)) {}
  TempLedger(const TempLedger&) = delete;
  TempLedger& operator=(const TempLedger&) = delete;
  ~TempLedger() {
    if (path_.empty()) return;
    boost::system::error_code ec;
    for (const char* suffix : {"", "-journal"}) fs::remove(fs::path(path_.string() + suffix), ec);
  }
  const fs::path& path() const { return path_; }
  void placed() { path_.clear(); }

 private:
  fs::path path_;
};

// A new ledger is made whole under a temp name and renamed into place: a file at the ledger's name is
// always a complete ledger, so an empty one can only be damage. The caller holds the run lock, so no
// other run creates it meanwhile; if one did, its ledger is kept and used.
Result<void> create_ledger(const fs::path& file) {
  boost::system::error_code ec;
  if (file.has_parent_path()) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) {
      return make_error(ExitCode::kOperational, file.parent_path().string(),
                        "cannot create the ledger's folder: " + ec.message());
    }
  }
  TempLedger temp(fs::path(file.string() + ".new-" + random_uuid().substr(0, 8)));
  {
    auto db = sqlite::Database::open(temp.path(), sqlite::OpenMode::kReadWriteCreate);
    if (!db) return std::unexpected(db.error());
    if (auto created = create_schema(*db); !created) return created;
  }  // closed: the rollback journal is gone and the file is complete on disk
  if (fs::status(file, ec).type() != fs::file_not_found) return {};
  fs::rename(temp.path(), file, ec);
  if (ec)
    return make_error(ExitCode::kOperational, file.string(), "cannot create the ledger: " + ec.message());
  temp.placed();
  return {};
}

// Version 0 in an existing file: never a ledger (a new one is made under a temp name).
Error not_a_ledger(sqlite::Database& db) {
  auto tables = db.query_int("SELECT count(*) FROM sqlite_schema", "read the schema");
  if (!tables) return tables.error();
  if (*tables != 0) {
    return Error{ExitCode::kOperational, db.path().string(),
                 "is not a wsus-airgap ledger: it is a SQLite database of another program",
                 "point --state at a wsus-airgap ledger, or at a new file"};
  }
  return Error{ExitCode::kOperational, db.path().string(),
               "is empty (a SQLite database with no tables): not a wsus-airgap ledger, and never taken for a "
               "new one",
               sqlite::kDamagedLedgerHint};
}

// quick_check reads every page of every table and index and checks its structure, so a damaged page
// is found here, before anything is written over it. (integrity_check adds that each index matches its
// table; the ledger's large tables are WITHOUT ROWID and have no separate index.) Cost: about 0.1 s
// for 100,000 hash-cache and 100,000 shipped rows (34 MB), once per open.
Result<void> check_integrity(sqlite::Database& db) {
  auto check = db.prepare("PRAGMA quick_check(3)", "check the ledger");
  if (!check) return std::unexpected(check.error());
  std::vector<std::string> problems;
  auto read = check->each_row("check the ledger", [&](const sqlite::Statement& row) {
    auto line = row.get<std::string>(0);
    if (line != "ok") problems.push_back(std::move(line));
  });
  if (!read) return read;
  if (problems.empty()) return {};
  std::string why = "is damaged: " + problems.front();
  if (problems.size() > 1) why += fmt::format(" (and more: {})", problems[1]);
  return make_error(ExitCode::kOperational, db.path().string(), why, sqlite::kDamagedLedgerHint);
}

// Migrates an older ledger (read-write only) and returns the ledger's id. Runs inside one write
// transaction so two runs that open an older ledger at the same time cannot both migrate it.
Result<std::string> prepare_schema(sqlite::Database& db) {
  std::optional<sqlite::Transaction> transaction;
  if (!db.read_only()) {
    auto begun = db.begin_write("open the ledger");
    if (!begun) return std::unexpected(begun.error());
    transaction.emplace(std::move(*begun));
  }
  auto version = db.query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = check_version(db.path(), *version); !supported)
    return std::unexpected(supported.error());
  if (*version == 0) return std::unexpected(not_a_ledger(db));
  if (*version < kLedgerSchemaVersion && transaction) {
    // Each step only adds tables, all in this one transaction: a crash leaves the old schema intact.
    std::string doing = fmt::format("migrate the ledger to schema {}", kLedgerSchemaVersion);
    for (const auto& step : kSchemaSteps) {
      if (step.version <= *version) continue;
      if (auto added = db.exec(step.additions, doing); !added) return std::unexpected(added.error());
    }
    auto pragma = fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion);
    if (auto set = db.exec(pragma, doing); !set) return std::unexpected(set.error());
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
  if (transaction) {
    if (auto committed = transaction->commit(); !committed) return std::unexpected(committed.error());
  }
  return id;
}

}  // namespace

Result<LedgerFile> open_ledger_file(const fs::path& file, LedgerAccess access) {
  bool read_only = access == LedgerAccess::kReadOnly;
  boost::system::error_code ec;
  // Only a file that is certainly not there is created; any other doubt goes to SQLite's open.
  if (fs::status(file, ec).type() == fs::file_not_found) {
    if (read_only) {
      return make_error(ExitCode::kOperational, file.string(), "does not exist: there is no ledger here",
                        "give the --state file that export or import used");
    }
    if (auto created = create_ledger(file); !created) return std::unexpected(created.error());
  }
  // SQLite reads a 0-byte file as a new, empty database; a ledger file is never empty.
  if (fs::is_regular_file(file, ec) && fs::file_size(file, ec) == 0 && !ec) {
    return make_error(ExitCode::kOperational, file.string(),
                      "is empty (0 bytes): not a wsus-airgap ledger, and never taken for a new one",
                      sqlite::kDamagedLedgerHint);
  }
  auto db =
      sqlite::Database::open(file, read_only ? sqlite::OpenMode::kReadOnly : sqlite::OpenMode::kReadWrite);
  if (!db) return std::unexpected(db.error());
  // The version is checked before anything is changed, so a newer ledger is left exactly as it was.
  auto version = db->query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = check_version(file, *version); !supported) return std::unexpected(supported.error());
  if (*version == 0) return std::unexpected(not_a_ledger(*db));
  if (auto intact = check_integrity(*db); !intact) return std::unexpected(intact.error());
  if (!read_only) {
    // WAL lets `history` read while a run writes; FULL makes every committed journal row survive a
    // power cut (the journal is what tells the next run that an earlier one was interrupted).
    if (auto wal = db->exec("PRAGMA journal_mode = WAL", "switch to WAL mode"); !wal)
      return std::unexpected(wal.error());
    if (auto sync = db->exec("PRAGMA synchronous = FULL", "set synchronous mode"); !sync)
      return std::unexpected(sync.error());
  }
  auto id = prepare_schema(*db);
  if (!id) return std::unexpected(id.error());
  return LedgerFile{std::move(*db), std::move(*id)};
}

}  // namespace wsa::state
