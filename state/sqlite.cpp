#include "state/sqlite.h"

#include "common/platform.h"

#include <sqlite3.h>

#include <unordered_map>
#include <utility>

namespace wsa::state::sqlite {

struct Connection {
  struct Cached {
    sqlite3_stmt* statement = nullptr;
    bool borrowed = false;
  };

  fs::path path;
  bool read_only = false;
  sqlite3* db = nullptr;
  // Keyed by SQL text; a node-based map, so a borrowed entry's flag keeps its address.
  std::unordered_map<std::string, Cached> cache;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Statements are finalized before the connection closes.
  ~Connection() {
    for (auto& entry : cache) sqlite3_finalize(entry.second.statement);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  Error error(std::string_view doing) const {
    int code = sqlite3_errcode(db) & 0xFF;
    std::string detail = sqlite3_errmsg(db);
    if (code == SQLITE_NOTADB) {
      return Error{ExitCode::kOperational, path.string(), "is not a wsus-airgap ledger: " + detail,
                   kNotALedgerHint};
    }
    if (code == SQLITE_CORRUPT)
      return Error{ExitCode::kOperational, path.string(), "is damaged: " + detail, kDamagedLedgerHint};
    std::string hint;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      hint = "another wsus-airgap run is using this ledger; retry when it ends";
    if (code == SQLITE_FULL) hint = "free space on the volume that holds the ledger";
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM) {
      hint = "check that this account can write the ledger and its folder";
    }
    return Error{ExitCode::kOperational, path.string(), "cannot " + std::string(doing) + ": " + detail, hint};
  }

  Result<void> exec(const char* sql, std::string_view doing) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return std::unexpected(error(doing));
    return {};
  }
};

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_),
      statement_(std::exchange(other.statement_, nullptr)),
      borrowed_(std::exchange(other.borrowed_, nullptr)),
      owned_(std::exchange(other.owned_, false)) {}

Statement::~Statement() {
  if (statement_ == nullptr) return;
  reset();
  if (borrowed_ != nullptr) *borrowed_ = false;
  if (owned_) sqlite3_finalize(statement_);
}

Result<bool> Statement::step(std::string_view doing) {
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(connection_->error(doing));
}

Result<void> Statement::run(std::string_view doing) {
  if (sqlite3_step(statement_) != SQLITE_DONE) return std::unexpected(connection_->error(doing));
  return {};
}

bool Statement::is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

void Statement::bind_text(int index, std::string_view text) {
  sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::bind_int64(int index, std::int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
}

void Statement::bind_null(int index) {
  sqlite3_bind_null(statement_, index);
}

std::string Statement::text(int index) const {
  const unsigned char* text = sqlite3_column_text(statement_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)));
}

std::int64_t Statement::int64(int index) const {
  return sqlite3_column_int64(statement_, index);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), doing_(std::move(other.doing_)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) sqlite3_exec(connection_->db, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> Transaction::commit() {
  auto done = connection_->exec("COMMIT", doing_);
  if (done) connection_ = nullptr;
  return done;
}

Result<Database> Database::open(const fs::path& file, OpenMode mode) {
  auto connection = std::make_unique<Connection>();
  connection->path = file;
  connection->read_only = mode == OpenMode::kReadOnly;
  // No SQLite mutex: the owner serializes every call (see Database).
  int flags = SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::kReadOnly)
    flags |= SQLITE_OPEN_READONLY;
  else
    flags |= SQLITE_OPEN_READWRITE;
  if (mode == OpenMode::kReadWriteCreate) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(platform::utf8_path(file).c_str(), &connection->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    if (connection->db == nullptr)
      return make_error(ExitCode::kOperational, file.string(), "cannot open the ledger: out of memory");
    return std::unexpected(connection->error("open the ledger"));
  }
  sqlite3_extended_result_codes(connection->db, 1);
  sqlite3_busy_timeout(connection->db, 5000);
  Database database;
  database.connection_ = std::move(connection);
  return database;
}

Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

const fs::path& Database::path() const {
  return connection_->path;
}

bool Database::read_only() const {
  return connection_->read_only;
}

Result<void> Database::exec(const std::string& sql, std::string_view doing) {
  return connection_->exec(sql.c_str(), doing);
}

Result<Statement> Database::prepare(const std::string& sql, std::string_view doing) {
  auto& cache = connection_->cache;
  auto found = cache.find(sql);
  if (found != cache.end() && !found->second.borrowed) {
    found->second.borrowed = true;
    return Statement(*connection_, found->second.statement, &found->second.borrowed, false);
  }
  // Cached statements live as long as the connection; a second use of one in use gets its own.
  bool keep = found == cache.end();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(connection_->db, sql.c_str(), static_cast<int>(sql.size()),
                         keep ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr) != SQLITE_OK) {
    return std::unexpected(connection_->error(doing));
  }
  if (!keep) return Statement(*connection_, raw, nullptr, true);
  auto& entry = cache.emplace(sql, Connection::Cached{raw, true}).first->second;
  return Statement(*connection_, raw, &entry.borrowed, false);
}

Result<std::int64_t> Database::query_int(const std::string& sql, std::string_view doing) {
  auto statement = prepare(sql, doing);
  if (!statement) return std::unexpected(statement.error());
  auto row = statement->step(doing);
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return make_error(ExitCode::kOperational, path().string(),
                      "is not a wsus-airgap ledger: " + std::string(doing) + " found nothing",
                      kNotALedgerHint);
  }
  return statement->get<std::int64_t>(0);
}

Result<Transaction> Database::begin_write(std::string_view doing) {
  if (auto begun = connection_->exec("BEGIN IMMEDIATE", doing); !begun) return std::unexpected(begun.error());
  return Transaction(*connection_, std::string(doing));
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(connection_->db);
}

std::int64_t Database::changes() const {
  return sqlite3_changes(connection_->db);
}

Error Database::error(std::string_view doing) const {
  return connection_->error(doing);
}

}  // namespace wsa::state::sqlite
