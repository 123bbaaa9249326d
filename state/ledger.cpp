#include "state/ledger.h"

#include "common/platform.h"

#include <sqlite3.h>

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace wsa::state {

namespace {

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

constexpr const char* kHint =
    "restore the ledger from a backup, or move it away (a new ledger starts a new chain)";

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

constexpr const char* kRunColumns =
    "id, kind, source_id, sequence, manifest_sha256, mode, package_dir, status, started, finished, message, "
    "files, bytes";

// UTC now as "YYYY-MM-DDTHH:MM:SSZ". Local because state/ must not depend on manifest/.
std::string utc_now() {
  using namespace std::chrono;
  auto now = floor<seconds>(system_clock::now());
  auto day = floor<days>(now);
  year_month_day date(day);
  hh_mm_ss time(now - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

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

// SQLite stores signed 64-bit integers; unsigned values (inode numbers, sizes) round-trip through the
// same bit pattern.
std::int64_t to_db(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}
std::uint64_t from_db(std::int64_t value) {
  return static_cast<std::uint64_t>(value);
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

std::optional<RunKind> parse_kind(std::string_view text) {
  for (RunKind kind : {RunKind::kExport, RunKind::kImport}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<RunStatus> parse_status(std::string_view text) {
  for (RunStatus status : {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed,
                           RunStatus::kGapsRemain, RunStatus::kWsusutilFailed, RunStatus::kInterrupted}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

// The journal's message is shown on one line by `history`.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// Resets a reused statement when the scope ends, on every path: a statement left mid-step would
// hold a read transaction open and block WAL checkpoints.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

}  // namespace

const char* to_string(RunKind kind) {
  switch (kind) {
    case RunKind::kExport:
      return "export";
    case RunKind::kImport:
      return "import";
  }
  return "unknown";
}

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kGapsRemain:
      return "gaps-remain";
    case RunStatus::kWsusutilFailed:
      return "wsusutil-failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

struct Ledger::Impl {
  fs::path path;
  std::string id;
  Database db;
  std::vector<std::int64_t> own_runs;
  // Prepared once and reused (hash lookups run once per content file). Declared after `db` so they
  // are finalized before it closes.
  Statement insert_run, finish_run, last_export, last_import, history, interrupted;
  Statement lookup_hash, store_hash, list_hashes, delete_hash;
  Statement lookup_shipped, store_shipped, delete_shipped;

  Error error(const std::string& doing) const {
    int code = sqlite3_errcode(db.get()) & 0xFF;
    std::string detail = sqlite3_errmsg(db.get());
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      return Error{ExitCode::kOperational, path.string(), "is not a wsus-airgap ledger: " + detail, kHint};
    }
    std::string hint;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      hint = "another wsus-airgap run is using this ledger; retry when it ends";
    if (code == SQLITE_FULL) hint = "free space on the volume that holds the ledger";
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM) {
      hint = "check that this account can write the ledger and its folder";
    }
    return Error{ExitCode::kOperational, path.string(), "cannot " + doing + ": " + detail, hint};
  }

  Result<void> exec(const char* sql, const std::string& doing) {
    if (sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      return std::unexpected(error(doing));
    return {};
  }

  Result<sqlite3_stmt*> prepared(Statement& slot, const char* sql) {
    if (!slot) {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
        return std::unexpected(error("read the ledger"));
      }
      slot.reset(raw);
    }
    return slot.get();
  }

  // Runs a statement that returns no rows.
  Result<void> step_done(sqlite3_stmt* statement, const std::string& doing) {
    if (sqlite3_step(statement) != SQLITE_DONE) return std::unexpected(error(doing));
    return {};
  }

  // Reads one int from a pragma or query (used while opening, before statements are cached).
  Result<std::int64_t> query_int(const char* sql, const std::string& doing) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr) != SQLITE_OK)
      return std::unexpected(error(doing));
    Statement statement(raw);
    int rc = sqlite3_step(statement.get());
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_DONE) {
        return make_error(ExitCode::kOperational, path.string(),
                          "is not a wsus-airgap ledger: " + doing + " found nothing", kHint);
      }
      return std::unexpected(error(doing));
    }
    return sqlite3_column_int64(statement.get(), 0);
  }

  Result<RunRecord> read_run(sqlite3_stmt* statement) {
    RunRecord record;
    record.id = sqlite3_column_int64(statement, 0);
    std::string kind = column_text(statement, 1);
    std::string status = column_text(statement, 7);
    auto parsed_kind = parse_kind(kind);
    auto parsed_status = parse_status(status);
    if (!parsed_kind || !parsed_status) {
      return make_error(ExitCode::kOperational, path.string(),
                        fmt::format("is not a wsus-airgap ledger: run {} has kind '{}' and status '{}'",
                                    record.id, kind, status),
                        kHint);
    }
    record.kind = *parsed_kind;
    record.source_id = column_text(statement, 2);
    record.sequence = from_db(sqlite3_column_int64(statement, 3));
    record.manifest_sha256 = column_text(statement, 4);
    record.mode = column_text(statement, 5);
    record.package_dir = column_text(statement, 6);
    record.status = *parsed_status;
    record.started_utc = column_text(statement, 8);
    record.finished_utc = column_text(statement, 9);
    record.message = column_text(statement, 10);
    record.files = from_db(sqlite3_column_int64(statement, 11));
    record.bytes = from_db(sqlite3_column_int64(statement, 12));
    return record;
  }

  Result<std::vector<RunRecord>> read_runs(sqlite3_stmt* statement, const std::string& doing) {
    std::vector<RunRecord> runs;
    for (;;) {
      int rc = sqlite3_step(statement);
      if (rc == SQLITE_DONE) return runs;
      if (rc != SQLITE_ROW) return std::unexpected(error(doing));
      auto record = read_run(statement);
      if (!record) return std::unexpected(record.error());
      runs.push_back(std::move(*record));
    }
  }

  class Transaction;
  Result<void> check_version(std::int64_t version) const;
  Result<void> prepare_schema();

  Result<std::optional<RunRecord>> read_optional_run(sqlite3_stmt* statement, const std::string& doing) {
    auto runs = read_runs(statement, doing);
    if (!runs) return std::unexpected(runs.error());
    if (runs->empty()) return std::optional<RunRecord>();
    return std::optional<RunRecord>(std::move(runs->front()));
  }
};

// A write transaction rolled back unless committed. IMMEDIATE takes the write lock up front, so a
// second process waits (busy timeout) instead of failing halfway through.
class Ledger::Impl::Transaction {
 public:
  static Result<Transaction> begin(Ledger::Impl& impl, const std::string& doing) {
    if (auto begun = impl.exec("BEGIN IMMEDIATE", doing); !begun) return std::unexpected(begun.error());
    return Transaction(impl, doing);
  }
  Transaction(Transaction&& other) noexcept
      : impl_(std::exchange(other.impl_, nullptr)), doing_(std::move(other.doing_)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (impl_ != nullptr) sqlite3_exec(impl_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Result<void> commit() {
    auto done = impl_->exec("COMMIT", doing_);
    if (done) impl_ = nullptr;
    return done;
  }

 private:
  Transaction(Ledger::Impl& impl, std::string doing) : impl_(&impl), doing_(std::move(doing)) {}
  Ledger::Impl* impl_;
  std::string doing_;
};

Result<void> Ledger::Impl::check_version(std::int64_t version) const {
  if (version > kLedgerSchemaVersion) {
    return make_error(ExitCode::kOperational, path.string(),
                      fmt::format("was written by a newer wsus-airgap (schema {}); this one reads schema {}: "
                                  "upgrade wsus-airgap",
                                  version, kLedgerSchemaVersion));
  }
  if (version < 0 || (version > 0 && version < kOldestMigratableSchema)) {
    // Only schema 1 has a migration (prepare_schema); anything older predates the first release.
    return make_error(ExitCode::kOperational, path.string(),
                      fmt::format("was written by an older wsus-airgap (schema {}); this one reads schema {}",
                                  version, kLedgerSchemaVersion),
                      "use the wsus-airgap version that wrote it");
  }
  return {};
}

// Checks (and for a new file, creates) the schema. Runs inside one write transaction so two runs
// that open a new ledger at the same time cannot both create it.
Result<void> Ledger::Impl::prepare_schema() {
  auto transaction = Transaction::begin(*this, "open the ledger");
  if (!transaction) return std::unexpected(transaction.error());
  auto version = query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = check_version(*version); !supported) return supported;
  if (*version == 0) {
    auto tables = query_int("SELECT count(*) FROM sqlite_schema", "read the schema");
    if (!tables) return std::unexpected(tables.error());
    if (*tables != 0) {
      return make_error(ExitCode::kOperational, path.string(),
                        "is not a wsus-airgap ledger: it is a SQLite database of another program",
                        "point --state at a wsus-airgap ledger, or at a new file");
    }
    if (auto created = exec(kSchema, "create the ledger"); !created) return created;
    if (auto added = exec(kSchemaV2Additions, "create the ledger"); !added) return added;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), "INSERT INTO ledger_info (id, created) VALUES (?1, ?2)", -1, &raw,
                           nullptr) != SQLITE_OK) {
      return std::unexpected(error("create the ledger"));
    }
    Statement insert(raw);
    std::string new_id = random_uuid();
    std::string created = utc_now();
    sqlite3_bind_text(insert.get(), 1, new_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 2, created.c_str(), -1, SQLITE_TRANSIENT);
    if (auto done = step_done(insert.get(), "create the ledger"); !done) return done;
    // The version is written last, in the same transaction: a half-created ledger is never version 1.
    auto pragma = fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion);
    if (auto set = exec(pragma.c_str(), "create the ledger"); !set) return set;
  }

  if (*version == 1) {
    // 1 -> 2 only adds tables, in this same transaction: a crash leaves the ledger at schema 1, intact.
    if (auto added = exec(kSchemaV2Additions, "migrate the ledger to schema 2"); !added) return added;
    auto pragma = fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion);
    if (auto set = exec(pragma.c_str(), "migrate the ledger to schema 2"); !set) return set;
  }

  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), "SELECT id FROM ledger_info", -1, &raw, nullptr) != SQLITE_OK) {
    return std::unexpected(error("read the ledger id"));
  }
  Statement select(raw);
  int rc = sqlite3_step(select.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(error("read the ledger id"));
  if (rc == SQLITE_DONE || column_text(select.get(), 0).empty()) {
    return make_error(ExitCode::kOperational, path.string(),
                      "is not a wsus-airgap ledger: it has no ledger id", kHint);
  }
  id = column_text(select.get(), 0);
  select.reset();
  return transaction->commit();
}

Result<Ledger> Ledger::open(const fs::path& file) {
  auto impl = std::make_unique<Impl>();
  impl->path = file;
  if (file.has_parent_path()) {
    boost::system::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) {
      return make_error(ExitCode::kOperational, file.parent_path().string(),
                        "cannot create the ledger's folder: " + ec.message());
    }
  }
  sqlite3* raw = nullptr;
  // Serialized mode: export reads the hash cache and the shipped set on two threads at once. The name is
  // UTF-8 on every platform, as SQLite expects.
  int rc = sqlite3_open_v2(platform::utf8_path(file).c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) {
    if (!impl->db)
      return make_error(ExitCode::kOperational, file.string(), "cannot open the ledger: out of memory");
    return std::unexpected(impl->error("open the ledger"));
  }
  sqlite3_extended_result_codes(impl->db.get(), 1);
  sqlite3_busy_timeout(impl->db.get(), 5000);

  // The version is checked before anything is changed, so a newer ledger is left exactly as it was.
  auto version = impl->query_int("PRAGMA user_version", "read the schema version");
  if (!version) return std::unexpected(version.error());
  if (auto supported = impl->check_version(*version); !supported) return std::unexpected(supported.error());
  // WAL lets `history` read while a run writes; FULL makes every committed journal row survive a
  // power cut (the journal is what tells the next run that an earlier one was interrupted).
  if (auto wal = impl->exec("PRAGMA journal_mode = WAL", "switch to WAL mode"); !wal) {
    return std::unexpected(wal.error());
  }
  if (auto sync = impl->exec("PRAGMA synchronous = FULL", "set synchronous mode"); !sync) {
    return std::unexpected(sync.error());
  }
  if (auto schema = impl->prepare_schema(); !schema) return std::unexpected(schema.error());

  Ledger ledger;
  ledger.impl_ = std::move(impl);
  return ledger;
}

Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

const std::string& Ledger::ledger_id() const {
  return impl_->id;
}
const fs::path& Ledger::path() const {
  return impl_->path;
}

Result<std::int64_t> Ledger::begin_run(const RunRecord& record) {
  auto statement =
      impl_->prepared(impl_->insert_run,
                      "INSERT INTO runs (kind, source_id, sequence, manifest_sha256, mode, package_dir, "
                      "status, started, message, "
                      "files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8, ?9, ?10)");
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  std::string started = record.started_utc.empty() ? utc_now() : record.started_utc;
  std::string message = one_line(record.message);
  sqlite3_bind_text(use.get(), 1, to_string(record.kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(use.get(), 2, record.source_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(use.get(), 3, to_db(record.sequence));
  sqlite3_bind_text(use.get(), 4, record.manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(use.get(), 5, record.mode.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(use.get(), 6, record.package_dir.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(use.get(), 7, started.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(use.get(), 8, message.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(use.get(), 9, to_db(record.files));
  sqlite3_bind_int64(use.get(), 10, to_db(record.bytes));
  if (auto done = impl_->step_done(use.get(), "record the start of a run"); !done)
    return std::unexpected(done.error());
  std::int64_t id = sqlite3_last_insert_rowid(impl_->db.get());
  impl_->own_runs.push_back(id);
  return id;
}

Result<void> Ledger::finish_run(std::int64_t id, RunStatus status, const std::string& manifest_sha256,
                                const std::string& message, std::uint64_t files, std::uint64_t bytes) {
  if (status == RunStatus::kRunning) {
    return make_error(ExitCode::kOperational, impl_->path.string(),
                      fmt::format("run {} cannot be finished with status running", id));
  }
  auto statement = impl_->prepared(
      impl_->finish_run,
      "UPDATE runs SET status = ?1, manifest_sha256 = CASE WHEN ?2 = '' THEN manifest_sha256 ELSE ?2 END, "
      "message = ?3, files = ?4, bytes = ?5, finished = ?6 WHERE id = ?7 AND status = 'running'");
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  std::string text = one_line(message);
  std::string finished = utc_now();
  sqlite3_bind_text(use.get(), 1, to_string(status), -1, SQLITE_STATIC);
  sqlite3_bind_text(use.get(), 2, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(use.get(), 3, text.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(use.get(), 4, to_db(files));
  sqlite3_bind_int64(use.get(), 5, to_db(bytes));
  sqlite3_bind_text(use.get(), 6, finished.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(use.get(), 7, id);
  if (auto done = impl_->step_done(use.get(), "record the end of a run"); !done) return done;
  if (sqlite3_changes(impl_->db.get()) != 1) {
    return make_error(ExitCode::kOperational, impl_->path.string(),
                      fmt::format("run {} is not running in this ledger (unknown, or already finished)", id));
  }
  std::erase(impl_->own_runs, id);
  return {};
}

Result<std::optional<RunRecord>> Ledger::last_successful_export() {
  static const std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE kind = 'export' AND status = 'succeeded' ORDER BY sequence DESC, id DESC "
      "LIMIT 1",
      kRunColumns);
  auto statement = impl_->prepared(impl_->last_export, sql.c_str());
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  return impl_->read_optional_run(use.get(), "read the last export");
}

Result<std::optional<RunRecord>> Ledger::last_applied_import(const std::string& source_id) {
  static const std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE kind = 'import' AND source_id = ?1 AND status IN ('succeeded', "
      "'gaps-remain') "
      "ORDER BY sequence DESC, id DESC LIMIT 1",
      kRunColumns);
  auto statement = impl_->prepared(impl_->last_import, sql.c_str());
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  sqlite3_bind_text(use.get(), 1, source_id.c_str(), -1, SQLITE_TRANSIENT);
  return impl_->read_optional_run(use.get(), "read the last import");
}

Result<std::vector<RunRecord>> Ledger::history(std::size_t limit) {
  static const std::string sql = fmt::format(
      "SELECT {0} FROM (SELECT {0} FROM runs ORDER BY id DESC LIMIT ?1) ORDER BY id ASC", kRunColumns);
  auto statement = impl_->prepared(impl_->history, sql.c_str());
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  sqlite3_bind_int64(use.get(), 1, to_db(limit));
  return impl_->read_runs(use.get(), "read the history");
}

Result<std::vector<RunRecord>> Ledger::interrupted_runs() {
  static const std::string sql =
      fmt::format("SELECT {} FROM runs WHERE status = 'running' ORDER BY id ASC", kRunColumns);
  auto statement = impl_->prepared(impl_->interrupted, sql.c_str());
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  auto runs = impl_->read_runs(use.get(), "read the journal");
  if (!runs) return runs;
  std::erase_if(*runs,
                [&](const RunRecord& run) { return std::ranges::count(impl_->own_runs, run.id) != 0; });
  return runs;
}

Result<std::optional<CachedHash>> Ledger::cached_hash(const std::string& path) {
  auto statement = impl_->prepared(
      impl_->lookup_hash, "SELECT size, mtime_ns, file_id, sha256, sha1 FROM hash_cache WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<CachedHash>();
  if (rc != SQLITE_ROW) return std::unexpected(impl_->error("read the hash cache"));
  CachedHash hash;
  hash.size = from_db(sqlite3_column_int64(use.get(), 0));
  hash.mtime_ns = sqlite3_column_int64(use.get(), 1);
  if (sqlite3_column_type(use.get(), 2) != SQLITE_NULL)
    hash.file_id = from_db(sqlite3_column_int64(use.get(), 2));
  hash.sha256_hex = column_text(use.get(), 3);
  hash.sha1_hex = column_text(use.get(), 4);
  return std::optional<CachedHash>(std::move(hash));
}

Result<std::unordered_map<std::string, CachedHash>> Ledger::all_cached_hashes() {
  // Prepared per call: an export asks once.
  Statement slot;
  auto statement =
      impl_->prepared(slot, "SELECT path, size, mtime_ns, file_id, sha256, sha1 FROM hash_cache");
  if (!statement) return std::unexpected(statement.error());
  std::unordered_map<std::string, CachedHash> hashes;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    CachedHash hash;
    hash.size = from_db(sqlite3_column_int64(*statement, 1));
    hash.mtime_ns = sqlite3_column_int64(*statement, 2);
    if (sqlite3_column_type(*statement, 3) != SQLITE_NULL)
      hash.file_id = from_db(sqlite3_column_int64(*statement, 3));
    hash.sha256_hex = column_text(*statement, 4);
    hash.sha1_hex = column_text(*statement, 5);
    hashes.emplace(column_text(*statement, 0), std::move(hash));
  }
  if (rc != SQLITE_DONE) return std::unexpected(impl_->error("read the hash cache"));
  return hashes;
}

Result<void> Ledger::store_hashes(const std::vector<std::pair<std::string, CachedHash>>& entries) {
  if (entries.empty()) return {};
  auto statement =
      impl_->prepared(impl_->store_hash,
                      "INSERT OR REPLACE INTO hash_cache (path, size, mtime_ns, file_id, sha256, sha1) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return std::unexpected(statement.error());
  auto transaction = Impl::Transaction::begin(*impl_, "store hashes");
  if (!transaction) return std::unexpected(transaction.error());
  for (const auto& [path, hash] : entries) {
    StatementUse use(*statement);
    sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
    sqlite3_bind_int64(use.get(), 2, to_db(hash.size));
    sqlite3_bind_int64(use.get(), 3, hash.mtime_ns);
    if (hash.file_id) {
      sqlite3_bind_int64(use.get(), 4, to_db(*hash.file_id));
    } else {
      sqlite3_bind_null(use.get(), 4);
    }
    sqlite3_bind_text(use.get(), 5, hash.sha256_hex.data(), static_cast<int>(hash.sha256_hex.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(use.get(), 6, hash.sha1_hex.data(), static_cast<int>(hash.sha1_hex.size()),
                      SQLITE_STATIC);
    if (auto done = impl_->step_done(use.get(), "store hashes"); !done) return done;
  }
  return transaction->commit();
}

Result<void> Ledger::forget_hashes_except(const std::function<bool(const std::string&)>& keep) {
  auto list = impl_->prepared(impl_->list_hashes, "SELECT path FROM hash_cache");
  if (!list) return std::unexpected(list.error());
  auto remove = impl_->prepared(impl_->delete_hash, "DELETE FROM hash_cache WHERE path = ?1");
  if (!remove) return std::unexpected(remove.error());
  auto transaction = Impl::Transaction::begin(*impl_, "prune the hash cache");
  if (!transaction) return std::unexpected(transaction.error());
  // Collected first, deleted after: deleting rows under a running SELECT is allowed but fragile.
  std::vector<std::string> doomed;
  {
    StatementUse use(*list);
    for (;;) {
      int rc = sqlite3_step(use.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(impl_->error("read the hash cache"));
      std::string path = column_text(use.get(), 0);
      if (!keep(path)) doomed.push_back(std::move(path));
    }
  }
  for (const auto& path : doomed) {
    StatementUse use(*remove);
    sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
    if (auto done = impl_->step_done(use.get(), "prune the hash cache"); !done) return done;
  }
  return transaction->commit();
}

Result<bool> Ledger::was_shipped(const std::string& path, const std::string& sha256_hex) {
  auto statement =
      impl_->prepared(impl_->lookup_shipped, "SELECT 1 FROM shipped WHERE path = ?1 AND sha256 = ?2");
  if (!statement) return std::unexpected(statement.error());
  StatementUse use(*statement);
  sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  sqlite3_bind_text(use.get(), 2, sha256_hex.data(), static_cast<int>(sha256_hex.size()), SQLITE_STATIC);
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(impl_->error("read the shipped set"));
}

Result<std::unordered_map<std::string, std::vector<std::string>>> Ledger::all_shipped() {
  // Prepared per call: an export asks once.
  Statement slot;
  auto statement = impl_->prepared(slot, "SELECT path, sha256 FROM shipped");
  if (!statement) return std::unexpected(statement.error());
  std::unordered_map<std::string, std::vector<std::string>> shipped;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    shipped[column_text(*statement, 0)].push_back(column_text(*statement, 1));
  }
  if (rc != SQLITE_DONE) return std::unexpected(impl_->error("read the shipped set"));
  return shipped;
}

Result<void> Ledger::record_shipped(std::uint64_t sequence,
                                    const std::vector<std::pair<std::string, std::string>>& files) {
  if (files.empty()) return {};
  auto statement = impl_->prepared(
      impl_->store_shipped, "INSERT OR REPLACE INTO shipped (path, sha256, sequence) VALUES (?1, ?2, ?3)");
  if (!statement) return std::unexpected(statement.error());
  auto transaction = Impl::Transaction::begin(*impl_, "record shipped files");
  if (!transaction) return std::unexpected(transaction.error());
  for (const auto& [path, sha256] : files) {
    StatementUse use(*statement);
    sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
    sqlite3_bind_text(use.get(), 2, sha256.data(), static_cast<int>(sha256.size()), SQLITE_STATIC);
    sqlite3_bind_int64(use.get(), 3, to_db(sequence));
    if (auto done = impl_->step_done(use.get(), "record shipped files"); !done) return done;
  }
  return transaction->commit();
}

Result<void> Ledger::forget_shipped(const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  auto statement = impl_->prepared(impl_->delete_shipped, "DELETE FROM shipped WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  auto transaction = Impl::Transaction::begin(*impl_, "forget shipped files");
  if (!transaction) return std::unexpected(transaction.error());
  for (const auto& path : paths) {
    StatementUse use(*statement);
    sqlite3_bind_text(use.get(), 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
    if (auto done = impl_->step_done(use.get(), "forget shipped files"); !done) return done;
  }
  return transaction->commit();
}

Result<std::optional<std::uint64_t>> Ledger::shipped_sequence(const std::string& path) {
  // Prepared per call rather than kept in Impl: only `gaps` asks, once per missing file.
  Statement slot;
  auto statement = impl_->prepared(slot, "SELECT MAX(sequence) FROM shipped WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  sqlite3_bind_text(*statement, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  int rc = sqlite3_step(*statement);
  if (rc != SQLITE_ROW) return std::unexpected(impl_->error("read the shipped set"));
  if (sqlite3_column_type(*statement, 0) == SQLITE_NULL) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{from_db(sqlite3_column_int64(*statement, 0))};
}

// The import resume rows are read and written a few times per package (bulk), so their statements
// are prepared per call rather than kept in Impl.
Result<std::vector<VerifiedVolume>> Ledger::verified_volumes(const std::string& manifest_sha256) {
  Statement slot;
  auto statement = impl_->prepared(
      slot,
      "SELECT name, size, mtime_ns FROM import_verified_volumes WHERE manifest_sha256 = ?1 ORDER BY name");
  if (!statement) return std::unexpected(statement.error());
  sqlite3_bind_text(*statement, 1, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<VerifiedVolume> volumes;
  for (;;) {
    int rc = sqlite3_step(*statement);
    if (rc == SQLITE_DONE) return volumes;
    if (rc != SQLITE_ROW) return std::unexpected(impl_->error("read the verified volumes"));
    volumes.push_back({column_text(*statement, 0), from_db(sqlite3_column_int64(*statement, 1)),
                       sqlite3_column_int64(*statement, 2)});
  }
}

Result<void> Ledger::record_verified_volume(const std::string& manifest_sha256,
                                            const VerifiedVolume& volume) {
  Statement slot;
  auto statement =
      impl_->prepared(slot,
                      "INSERT OR REPLACE INTO import_verified_volumes (manifest_sha256, name, size, "
                      "mtime_ns) VALUES (?1, ?2, ?3, ?4)");
  if (!statement) return std::unexpected(statement.error());
  sqlite3_bind_text(*statement, 1, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(*statement, 2, volume.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(*statement, 3, to_db(volume.size));
  sqlite3_bind_int64(*statement, 4, volume.mtime_ns);
  return impl_->step_done(*statement, "record a verified volume");
}

Result<std::vector<PlacedFile>> Ledger::placed_files(const std::string& manifest_sha256) {
  Statement slot;
  auto statement = impl_->prepared(slot,
                                   "SELECT path, size, mtime_ns, sha256 FROM import_placed_files WHERE "
                                   "manifest_sha256 = ?1 ORDER BY path");
  if (!statement) return std::unexpected(statement.error());
  sqlite3_bind_text(*statement, 1, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<PlacedFile> files;
  for (;;) {
    int rc = sqlite3_step(*statement);
    if (rc == SQLITE_DONE) return files;
    if (rc != SQLITE_ROW) return std::unexpected(impl_->error("read the placed files"));
    files.push_back({column_text(*statement, 0), from_db(sqlite3_column_int64(*statement, 1)),
                     sqlite3_column_int64(*statement, 2), column_text(*statement, 3)});
  }
}

Result<void> Ledger::record_placed_files(const std::string& manifest_sha256, std::int64_t run_id,
                                         const std::vector<PlacedFile>& files) {
  if (files.empty()) return {};
  Statement slot;
  auto statement = impl_->prepared(slot,
                                   "INSERT OR REPLACE INTO import_placed_files (manifest_sha256, path, size, "
                                   "mtime_ns, sha256, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return std::unexpected(statement.error());
  auto transaction = Impl::Transaction::begin(*impl_, "record placed files");
  if (!transaction) return std::unexpected(transaction.error());
  for (const auto& file : files) {
    StatementUse use(*statement);
    sqlite3_bind_text(use.get(), 1, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(use.get(), 2, file.path.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(use.get(), 3, to_db(file.size));
    sqlite3_bind_int64(use.get(), 4, file.mtime_ns);
    sqlite3_bind_text(use.get(), 5, file.sha256_hex.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(use.get(), 6, run_id);
    if (auto done = impl_->step_done(use.get(), "record placed files"); !done) return done;
  }
  return transaction->commit();
}

Result<void> Ledger::forget_import_progress(const std::string& manifest_sha256) {
  auto transaction = Impl::Transaction::begin(*impl_, "forget import progress");
  if (!transaction) return std::unexpected(transaction.error());
  for (const char* sql : {"DELETE FROM import_verified_volumes WHERE manifest_sha256 = ?1",
                          "DELETE FROM import_placed_files WHERE manifest_sha256 = ?1"}) {
    Statement slot;
    auto statement = impl_->prepared(slot, sql);
    if (!statement) return std::unexpected(statement.error());
    sqlite3_bind_text(*statement, 1, manifest_sha256.c_str(), -1, SQLITE_TRANSIENT);
    if (auto done = impl_->step_done(*statement, "forget import progress"); !done) return done;
  }
  return transaction->commit();
}

}  // namespace wsa::state
