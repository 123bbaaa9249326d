#include "state/hash_cache.h"

namespace wsa::state {

namespace {

// Columns 'size, mtime_ns, file_id, sha256, sha1' from `first` on.
CachedHash read_hash(const sqlite::Statement& row, int first) {
  CachedHash hash;
  hash.size = row.get<std::uint64_t>(first);
  hash.mtime_ns = row.get<std::int64_t>(first + 1);
  hash.file_id = row.get<std::optional<std::uint64_t>>(first + 2);
  hash.sha256_hex = row.get<std::string>(first + 3);
  hash.sha1_hex = row.get<std::string>(first + 4);
  return hash;
}

}  // namespace

Result<std::optional<CachedHash>> HashCache::find(const std::string& path) {
  auto statement =
      db_->prepare("SELECT size, mtime_ns, file_id, sha256, sha1 FROM hash_cache WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(path);
  auto row = statement->step("read the hash cache");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<CachedHash>();
  return std::optional<CachedHash>(read_hash(*statement, 0));
}

Result<void> HashCache::each(const std::function<void(const std::string& path, const CachedHash&)>& visit,
                             std::string_view under) {
  // The primary key of a WITHOUT ROWID table is its order: ORDER BY path costs no sort, and a prefix is
  // a range of it: from `under` up to (not including) `under` with its last byte one higher.
  std::string end(under);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  auto statement = db_->prepare(
      end.empty() ? "SELECT path, size, mtime_ns, file_id, sha256, sha1 FROM hash_cache ORDER BY path"
                  : "SELECT path, size, mtime_ns, file_id, sha256, sha1 FROM hash_cache "
                    "WHERE path >= ?1 AND path < ?2 ORDER BY path");
  if (!statement) return std::unexpected(statement.error());
  if (!end.empty()) statement->bind(under, end);
  return statement->each_row("read the hash cache", [&](const sqlite::Statement& row) {
    visit(row.get<std::string>(0), read_hash(row, 1));
  });
}

Result<void> HashCache::store(const std::vector<std::pair<std::string, CachedHash>>& entries) {
  if (entries.empty()) return {};
  auto transaction = db_->begin_write("store hashes");
  if (!transaction) return std::unexpected(transaction.error());
  auto statement = db_->prepare(
      "INSERT OR REPLACE INTO hash_cache (path, size, mtime_ns, file_id, sha256, sha1) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return std::unexpected(statement.error());
  for (const auto& [path, hash] : entries) {
    statement->bind(path, hash.size, hash.mtime_ns, hash.file_id, hash.sha256_hex, hash.sha1_hex);
    if (auto done = statement->run("store hashes"); !done) return done;
  }
  return transaction->commit();
}

Result<void> HashCache::forget_except(const std::function<bool(const std::string&)>& keep) {
  auto transaction = db_->begin_write("prune the hash cache");
  if (!transaction) return std::unexpected(transaction.error());
  // Collected first, deleted after: deleting rows under a running SELECT is allowed but fragile.
  std::vector<std::string> doomed;
  {
    auto list = db_->prepare("SELECT path FROM hash_cache");
    if (!list) return std::unexpected(list.error());
    auto read = list->each_row("read the hash cache", [&](const sqlite::Statement& row) {
      auto path = row.get<std::string>(0);
      if (!keep(path)) doomed.push_back(std::move(path));
    });
    if (!read) return read;
  }
  auto remove = db_->prepare("DELETE FROM hash_cache WHERE path = ?1");
  if (!remove) return std::unexpected(remove.error());
  for (const auto& path : doomed) {
    remove->bind(path);
    if (auto done = remove->run("prune the hash cache"); !done) return done;
  }
  return transaction->commit();
}

}  // namespace wsa::state
