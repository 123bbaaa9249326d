#include "state/metadata_checks.h"

#include "state/run_journal.h"

namespace wsa::state {

Result<std::optional<MetadataCheck>> MetadataChecks::find(const std::string& package_sha256,
                                                          const std::string& listing_sha256) {
  auto statement = db_->prepare(
      "SELECT updates_read, updates_checked, files_checked, checked FROM metadata_checks "
      "WHERE package_sha256 = ?1 AND listing_sha256 = ?2");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(package_sha256, listing_sha256);
  auto row = statement->step("read the metadata checks");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<MetadataCheck>();
  return MetadataCheck{package_sha256,
                       listing_sha256,
                       statement->get<std::uint64_t>(0),
                       statement->get<std::uint64_t>(1),
                       statement->get<std::uint64_t>(2),
                       statement->get<std::string>(3)};
}

Result<bool> MetadataChecks::knows_package(const std::string& package_sha256) {
  auto statement = db_->prepare("SELECT 1 FROM metadata_checks WHERE package_sha256 = ?1 LIMIT 1");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(package_sha256);
  return statement->step("read the metadata checks");
}

Result<void> MetadataChecks::record(const MetadataCheck& check) {
  auto transaction = db_->begin_write("record a metadata check");
  if (!transaction) return std::unexpected(transaction.error());
  auto insert = db_->prepare(
      "INSERT OR REPLACE INTO metadata_checks "
      "(package_sha256, listing_sha256, updates_read, updates_checked, files_checked, checked) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(check.package_sha256, check.listing_sha256, check.updates_read, check.updates_checked,
               check.files_checked, check.checked_utc.empty() ? utc_now() : check.checked_utc);
  if (auto done = insert->run("record a metadata check"); !done) return done;
  auto prune = db_->prepare(
      "DELETE FROM metadata_checks WHERE (checked, package_sha256, listing_sha256) NOT IN "
      "(SELECT checked, package_sha256, listing_sha256 FROM metadata_checks "
      "ORDER BY checked DESC, package_sha256, listing_sha256 LIMIT ?1)");
  if (!prune) return std::unexpected(prune.error());
  prune->bind(kKept);
  if (auto done = prune->run("record a metadata check"); !done) return done;
  return transaction->commit();
}

}  // namespace wsa::state
