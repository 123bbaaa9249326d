#pragma once
// The ledger's one owner of SQLite: a connection, statements with typed bind and column access, and
// write transactions as a scope that rolls back unless committed. Nothing else calls sqlite3_*.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/error.h"

struct sqlite3_stmt;

namespace wsa::state::sqlite {

namespace fs = boost::filesystem;

enum class OpenMode {
  kReadWrite,        // the file must exist
  kReadWriteCreate,  // created when missing
  kReadOnly,         // the file must exist; nothing is ever written
};

// What to do about a file that is not a (readable) wsus-airgap ledger.
inline constexpr const char* kNotALedgerHint =
    "restore the ledger from a backup, or move it away (a new ledger starts a new chain)";

// What to do about a ledger file that is empty or damaged: it is never replaced by a new ledger.
inline constexpr const char* kDamagedLedgerHint =
    "restore it from a backup (with its -wal file, if there is one); wsus-airgap never makes a new ledger "
    "over an existing file, as that would restart the export chain at 1 or forget what import applied";

class Database;
// The connection and its statement cache, behind Database (its address survives a move).
struct Connection;

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

// A prepared statement, borrowed from its Database's cache (or owned when the cached one is in use).
// Its bindings are cleared and it is reset when it goes out of scope: a statement left mid-step holds
// a read transaction open and blocks WAL checkpoints. Must not outlive its Database.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Starts a new execution (reset, bindings cleared) and binds `values` to ?1, ?2, ... in order: text
  // (copied), integers (unsigned ones keep their bit pattern in SQLite's signed 64 bits), std::optional
  // (empty binds NULL). Statements run in a loop are prepared once and bound per row.
  template <class... Values>
  Statement& bind(const Values&... values) {
    reset();
    int index = 0;
    (bind_one(++index, values), ...);
    return *this;
  }

  // Steps once: true when a row is ready, false when the statement is done.
  Result<bool> step(std::string_view doing);
  // Runs a statement that returns no rows.
  Result<void> run(std::string_view doing);
  // Calls `on_row(*this)` for every row; `on_row` returns void or Result<void> (an error stops).
  template <class OnRow>
  Result<void> each_row(std::string_view doing, OnRow&& on_row) {
    for (;;) {
      auto row = step(doing);
      if (!row) return std::unexpected(row.error());
      if (!*row) return {};
      if constexpr (std::is_void_v<std::invoke_result_t<OnRow&, Statement&>>) {
        on_row(*this);
      } else {
        if (auto done = on_row(*this); !done) return std::unexpected(done.error());
      }
    }
  }

  // The current row's column `index` (from 0) as T: std::string, a signed or unsigned integer, or
  // std::optional of one of those (NULL is empty).
  template <class T>
  T get(int index) const {
    if constexpr (IsOptional<T>::value) {
      if (is_null(index)) return T{};
      return T{get<typename T::value_type>(index)};
    } else if constexpr (std::is_same_v<T, std::string>) {
      return text(index);
    } else {
      static_assert(std::is_integral_v<T>, "get<T>: T must be text, an integer or an optional");
      return static_cast<T>(int64(index));
    }
  }
  bool is_null(int index) const;

 private:
  friend class Database;
  Statement(Connection& connection, sqlite3_stmt* statement, bool* borrowed, bool owned)
      : connection_(&connection), statement_(statement), borrowed_(borrowed), owned_(owned) {}

  template <class T>
  void bind_one(int index, const T& value) {
    if constexpr (IsOptional<T>::value) {
      if (value)
        bind_one(index, *value);
      else
        bind_null(index);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      bind_text(index, std::string_view(value));
    } else {
      static_assert(std::is_integral_v<T>, "bind: values must be text, integers or optionals");
      bind_int64(index, static_cast<std::int64_t>(value));
    }
  }
  void reset();
  void bind_text(int index, std::string_view text);
  void bind_int64(int index, std::int64_t value);
  void bind_null(int index);
  std::string text(int index) const;
  std::int64_t int64(int index) const;

  Connection* connection_;
  sqlite3_stmt* statement_;
  bool* borrowed_;  // the cache's flag while borrowed, else nullptr
  bool owned_;      // finalized here (the cached copy was in use)
};

// A write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so a second process waits
// for the busy timeout instead of failing halfway through). Rolled back unless committed.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  friend class Database;
  Transaction(Connection& connection, std::string doing)
      : connection_(&connection), doing_(std::move(doing)) {}
  Connection* connection_;
  std::string doing_;
};

// One connection to the ledger file. Not thread-safe on its own (opened without SQLite's mutex): its
// owner serializes every use (the Ledger holds its mutex around each call).
class Database {
 public:
  // Opens `file` (UTF-8 name on every platform). Extended result codes on, busy timeout 5 s.
  static Result<Database> open(const fs::path& file, OpenMode mode);
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  const fs::path& path() const;
  bool read_only() const;

  // Runs SQL (one or more statements) that returns no rows.
  Result<void> exec(const std::string& sql, std::string_view doing);
  // The statement for `sql`, prepared once per connection and reused.
  Result<Statement> prepare(const std::string& sql, std::string_view doing = "read the ledger");
  // Reads one integer from a query or pragma; no row is an error naming `doing`.
  Result<std::int64_t> query_int(const std::string& sql, std::string_view doing);
  Result<Transaction> begin_write(std::string_view doing);

  std::int64_t last_insert_rowid() const;
  // Rows changed by the last statement.
  std::int64_t changes() const;
  // The last failure as the project's error, naming the file, with a hint for the usual causes.
  Error error(std::string_view doing) const;

 private:
  Database() = default;
  std::unique_ptr<Connection> connection_;
};

}  // namespace wsa::state::sqlite
