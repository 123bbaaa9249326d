#include "state/ledger.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace wsa::state {

struct Ledger::Impl {
  explicit Impl(LedgerFile opened)
      : file(std::move(opened)),
        journal(file.db),
        hashes(file.db),
        shipped(file.db),
        resume(file.db),
        seen(file.db),
        approvals(file.db),
        metadata_checks(file.db) {}

  // Held for the whole of every call: the connection is opened without SQLite's own mutex.
  std::mutex mutex;
  LedgerFile file;
  RunJournal journal;
  HashCache hashes;
  ShippedSet shipped;
  ImportResume resume;
  PackagesSeen seen;
  ApprovalRecord approvals;
  MetadataChecks metadata_checks;
};

Result<Ledger> Ledger::open(const fs::path& file, LedgerAccess access) {
  auto opened = open_ledger_file(file, access);
  if (!opened) return std::unexpected(opened.error());
  Ledger ledger;
  ledger.impl_ = std::make_unique<Impl>(std::move(*opened));
  return ledger;
}

Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

// Neither changes after open: read without the lock.
const std::string& Ledger::ledger_id() const {
  return impl_->file.id;
}
const fs::path& Ledger::path() const {
  return impl_->file.db.path();
}

Result<std::int64_t> Ledger::begin_run(const RunRecord& record) {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.begin(record);
}

Result<void> Ledger::finish_run(std::int64_t id, RunStatus status, const std::string& manifest_sha256,
                                const std::string& message, std::uint64_t files, std::uint64_t bytes) {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.finish(id, status, manifest_sha256, message, files, bytes);
}

Result<std::optional<RunRecord>> Ledger::last_successful_export() {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.last_successful_export();
}

Result<std::optional<RunRecord>> Ledger::last_applied_import(const std::string& source_id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.last_applied_import(source_id);
}

Result<std::vector<RunRecord>> Ledger::history(std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.history(limit);
}

Result<std::vector<RunRecord>> Ledger::interrupted_runs() {
  std::lock_guard lock(impl_->mutex);
  return impl_->journal.interrupted();
}

Result<std::optional<CachedHash>> Ledger::cached_hash(const std::string& path) {
  std::lock_guard lock(impl_->mutex);
  return impl_->hashes.find(path);
}

Result<void> Ledger::each_cached_hash(
    const std::function<void(const std::string& path, const CachedHash&)>& visit, std::string_view under) {
  std::lock_guard lock(impl_->mutex);
  return impl_->hashes.each(visit, under);
}

Result<void> Ledger::store_hashes(const std::vector<std::pair<std::string, CachedHash>>& entries) {
  std::lock_guard lock(impl_->mutex);
  return impl_->hashes.store(entries);
}

Result<void> Ledger::forget_hashes_except(const std::function<bool(const std::string&)>& keep) {
  std::lock_guard lock(impl_->mutex);
  return impl_->hashes.forget_except(keep);
}

Result<bool> Ledger::was_shipped(const std::string& path, const std::string& sha256_hex) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.contains(path, sha256_hex);
}

Result<void> Ledger::each_shipped(
    const std::function<void(const std::string& path, const std::string& sha256_hex)>& visit) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.each(visit);
}

Result<void> Ledger::record_shipped(std::uint64_t sequence,
                                    const std::vector<std::pair<std::string, std::string>>& files) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.record(sequence, files);
}

Result<void> Ledger::record_shipped(
    std::uint64_t sequence, std::size_t count,
    const std::function<std::pair<std::string, std::string>(std::size_t)>& pair) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.record(sequence, count, pair);
}

Result<void> Ledger::forget_shipped(const std::vector<std::string>& paths) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.forget(paths);
}

Result<std::optional<std::uint64_t>> Ledger::shipped_sequence(const std::string& path) {
  std::lock_guard lock(impl_->mutex);
  return impl_->shipped.last_sequence(path);
}

Result<std::vector<VerifiedVolume>> Ledger::verified_volumes(const std::string& manifest_sha256) {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume.verified_volumes(manifest_sha256);
}

Result<void> Ledger::record_verified_volume(const std::string& manifest_sha256,
                                            const VerifiedVolume& volume) {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume.record_verified_volume(manifest_sha256, volume);
}

Result<std::vector<PlacedFile>> Ledger::placed_files(const std::string& manifest_sha256) {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume.placed_files(manifest_sha256);
}

Result<void> Ledger::record_placed_files(const std::string& manifest_sha256, std::int64_t run_id,
                                         const std::vector<PlacedFile>& files) {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume.record_placed_files(manifest_sha256, run_id, files);
}

Result<void> Ledger::forget_import_progress(const std::string& manifest_sha256) {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume.forget(manifest_sha256);
}

Result<void> Ledger::record_package_seen(const SeenPackage& package) {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen.record(package);
}

Result<std::vector<SourceFreshness>> Ledger::freshness() {
  std::lock_guard lock(impl_->mutex);
  std::vector<SourceFreshness> sources;
  auto exports = impl_->journal.sources(RunKind::kExport);
  if (!exports) return std::unexpected(exports.error());
  if (!exports->empty()) {
    // Every export run of a ledger belongs to its one chain; the package is made as the run ends.
    auto last = impl_->journal.last_successful_export();
    if (!last) return std::unexpected(last.error());
    SourceFreshness source{RunKind::kExport, impl_->file.id, *last, *last ? (*last)->finished_utc : "", {}};
    sources.push_back(std::move(source));
  }
  auto imports = impl_->journal.sources(RunKind::kImport);
  if (!imports) return std::unexpected(imports.error());
  auto newest = impl_->seen.newest_per_source();
  if (!newest) return std::unexpected(newest.error());
  std::vector<std::string> ids = *imports;
  for (const auto& seen : *newest) {
    if (std::find(ids.begin(), ids.end(), seen.source_id) == ids.end()) ids.push_back(seen.source_id);
  }
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    SourceFreshness source;
    source.source_id = id;
    auto last = impl_->journal.last_applied_import(id);
    if (!last) return std::unexpected(last.error());
    source.last_success = *last;
    if (source.last_success) {
      auto sighting = impl_->seen.find(source.last_success->manifest_sha256);
      if (!sighting) return std::unexpected(sighting.error());
      source.last_success_made_utc = sighting->created_utc;
    }
    for (const auto& seen : *newest) {
      if (seen.source_id == id) source.newest_seen = seen;
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

Result<std::optional<MetadataCheck>> Ledger::find_metadata_check(const std::string& package_sha256,
                                                                 const std::string& listing_sha256) {
  std::lock_guard lock(impl_->mutex);
  return impl_->metadata_checks.find(package_sha256, listing_sha256);
}

Result<bool> Ledger::knows_metadata_package(const std::string& package_sha256) {
  std::lock_guard lock(impl_->mutex);
  return impl_->metadata_checks.knows_package(package_sha256);
}

Result<void> Ledger::record_metadata_check(const MetadataCheck& check) {
  std::lock_guard lock(impl_->mutex);
  return impl_->metadata_checks.record(check);
}

Result<std::vector<AppliedApproval>> Ledger::applied_approvals() {
  std::lock_guard lock(impl_->mutex);
  return impl_->approvals.applied();
}

Result<void> Ledger::record_approval_set(const ApprovalSetRecord& set,
                                         const std::vector<AppliedApproval>& in_place) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approvals.record(set, in_place);
}

Result<std::vector<ApprovalSetRecord>> Ledger::approval_history(std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approvals.history(limit);
}

}  // namespace wsa::state
