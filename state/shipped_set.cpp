#include "state/shipped_set.h"

namespace wsa::state {

Result<bool> ShippedSet::contains(const std::string& path, const std::string& sha256_hex) {
  auto statement = db_->prepare("SELECT 1 FROM shipped WHERE path = ?1 AND sha256 = ?2");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(path, sha256_hex);
  return statement->step("read the shipped set");
}

Result<void> ShippedSet::each(
    const std::function<void(const std::string& path, const std::string& sha256_hex)>& visit) {
  // The primary key (path, sha256) of a WITHOUT ROWID table is its order: no sort.
  auto statement = db_->prepare("SELECT path, sha256 FROM shipped ORDER BY path, sha256");
  if (!statement) return std::unexpected(statement.error());
  return statement->each_row("read the shipped set", [&](const sqlite::Statement& row) {
    visit(row.get<std::string>(0), row.get<std::string>(1));
  });
}

Result<void> ShippedSet::record(std::uint64_t sequence,
                                const std::vector<std::pair<std::string, std::string>>& files) {
  return record(sequence, files.size(), [&files](std::size_t i) { return files[i]; });
}

Result<void> ShippedSet::record(std::uint64_t sequence, std::size_t count,
                                const std::function<std::pair<std::string, std::string>(std::size_t)>& pair) {
  if (count == 0) return {};
  auto transaction = db_->begin_write("record shipped files");
  if (!transaction) return std::unexpected(transaction.error());
  auto statement =
      db_->prepare("INSERT OR REPLACE INTO shipped (path, sha256, sequence) VALUES (?1, ?2, ?3)");
  if (!statement) return std::unexpected(statement.error());
  for (std::size_t i = 0; i < count; ++i) {
    auto [path, sha256] = pair(i);
    statement->bind(path, sha256, sequence);
    if (auto done = statement->run("record shipped files"); !done) return done;
  }
  return transaction->commit();
}

Result<void> ShippedSet::forget(const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  auto transaction = db_->begin_write("forget shipped files");
  if (!transaction) return std::unexpected(transaction.error());
  auto statement = db_->prepare("DELETE FROM shipped WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  for (const auto& path : paths) {
    statement->bind(path);
    if (auto done = statement->run("forget shipped files"); !done) return done;
  }
  return transaction->commit();
}

Result<std::optional<std::uint64_t>> ShippedSet::last_sequence(const std::string& path) {
  auto statement = db_->prepare("SELECT MAX(sequence) FROM shipped WHERE path = ?1");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(path);
  auto row = statement->step("read the shipped set");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(db_->error("read the shipped set"));
  return statement->get<std::optional<std::uint64_t>>(0);
}

}  // namespace wsa::state
