#include "state/import_resume.h"

namespace wsa::state {

Result<std::vector<VerifiedVolume>> ImportResume::verified_volumes(const std::string& manifest_sha256) {
  auto statement = db_->prepare(
      "SELECT name, size, mtime_ns FROM import_verified_volumes WHERE manifest_sha256 = ?1 ORDER BY name");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(manifest_sha256);
  std::vector<VerifiedVolume> volumes;
  auto read = statement->each_row("read the verified volumes", [&](const sqlite::Statement& row) {
    volumes.push_back({row.get<std::string>(0), row.get<std::uint64_t>(1), row.get<std::int64_t>(2)});
  });
  if (!read) return std::unexpected(read.error());
  return volumes;
}

Result<void> ImportResume::record_verified_volume(const std::string& manifest_sha256,
                                                  const VerifiedVolume& volume) {
  auto statement = db_->prepare(
      "INSERT OR REPLACE INTO import_verified_volumes (manifest_sha256, name, size, mtime_ns) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(manifest_sha256, volume.name, volume.size, volume.mtime_ns);
  return statement->run("record a verified volume");
}

Result<std::vector<PlacedFile>> ImportResume::placed_files(const std::string& manifest_sha256) {
  auto statement = db_->prepare(
      "SELECT path, size, mtime_ns, sha256 FROM import_placed_files WHERE manifest_sha256 = ?1 ORDER BY "
      "path");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(manifest_sha256);
  std::vector<PlacedFile> files;
  auto read = statement->each_row("read the placed files", [&](const sqlite::Statement& row) {
    files.push_back({row.get<std::string>(0), row.get<std::uint64_t>(1), row.get<std::int64_t>(2),
                     row.get<std::string>(3)});
  });
  if (!read) return std::unexpected(read.error());
  return files;
}

Result<void> ImportResume::record_placed_files(const std::string& manifest_sha256, std::int64_t run_id,
                                               const std::vector<PlacedFile>& files) {
  if (files.empty()) return {};
  auto transaction = db_->begin_write("record placed files");
  if (!transaction) return std::unexpected(transaction.error());
  auto statement = db_->prepare(
      "INSERT OR REPLACE INTO import_placed_files (manifest_sha256, path, size, mtime_ns, sha256, run_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return std::unexpected(statement.error());
  for (const auto& file : files) {
    statement->bind(manifest_sha256, file.path, file.size, file.mtime_ns, file.sha256_hex, run_id);
    if (auto done = statement->run("record placed files"); !done) return done;
  }
  return transaction->commit();
}

Result<void> ImportResume::forget(const std::string& manifest_sha256) {
  auto transaction = db_->begin_write("forget import progress");
  if (!transaction) return std::unexpected(transaction.error());
  for (const char* sql : {"DELETE FROM import_verified_volumes WHERE manifest_sha256 = ?1",
                          "DELETE FROM import_placed_files WHERE manifest_sha256 = ?1"}) {
    auto statement = db_->prepare(sql);
    if (!statement) return std::unexpected(statement.error());
    statement->bind(manifest_sha256);
    if (auto done = statement->run("forget import progress"); !done) return done;
  }
  return transaction->commit();
}

}  // namespace wsa::state
