#include "state/packages_seen.h"

#include "state/run_journal.h"

namespace wsa::state {

Result<void> PackagesSeen::record(const SeenPackage& package) {
  auto statement = db_->prepare(
      "INSERT OR IGNORE INTO packages_seen (source_id, sequence, manifest_sha256, created, first_seen) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(package.source_id, package.sequence, package.manifest_sha256, package.created_utc,
                  package.first_seen_utc.empty() ? utc_now() : package.first_seen_utc);
  return statement->run("record a package seen");
}

Result<bool> PackagesSeen::table_exists() {
  auto count = db_->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'packages_seen'",
                              "read the packages seen");
  if (!count) return std::unexpected(count.error());
  return *count > 0;
}

Result<std::vector<SeenPackage>> PackagesSeen::newest_per_source() {
  auto exists = table_exists();
  if (!exists) return std::unexpected(exists.error());
  std::vector<SeenPackage> newest;
  if (!*exists) return newest;
  // SQLite takes the bare columns from the row that holds the MAX.
  auto statement = db_->prepare(
      "SELECT source_id, MAX(sequence), manifest_sha256, created, first_seen FROM packages_seen "
      "GROUP BY source_id ORDER BY source_id");
  if (!statement) return std::unexpected(statement.error());
  auto read = statement->each_row("read the packages seen", [&](const sqlite::Statement& row) {
    newest.push_back({row.get<std::string>(0), row.get<std::uint64_t>(1), row.get<std::string>(2),
                      row.get<std::string>(3), row.get<std::string>(4)});
  });
  if (!read) return std::unexpected(read.error());
  return newest;
}

Result<SeenPackage> PackagesSeen::find(const std::string& manifest_sha256) {
  SeenPackage found;
  auto exists = table_exists();
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) return found;
  auto statement = db_->prepare(
      "SELECT source_id, sequence, manifest_sha256, created, first_seen FROM packages_seen "
      "WHERE manifest_sha256 = ?1 LIMIT 1");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(manifest_sha256);
  auto row = statement->step("read the packages seen");
  if (!row) return std::unexpected(row.error());
  if (*row) {
    found = {statement->get<std::string>(0), statement->get<std::uint64_t>(1), statement->get<std::string>(2),
             statement->get<std::string>(3), statement->get<std::string>(4)};
  }
  return found;
}

}  // namespace wsa::state
