#include "state/approval_record.h"

#include "state/run_journal.h"

namespace wsa::state {

Result<std::vector<AppliedApproval>> ApprovalRecord::applied() {
  auto statement =
      db_->prepare("SELECT update_id, revision, group_id FROM applied_approvals ORDER BY 1, 2, 3");
  if (!statement) return std::unexpected(statement.error());
  std::vector<AppliedApproval> rows;
  auto read = statement->each_row("read the applied approvals", [&](const sqlite::Statement& row) {
    rows.push_back({row.get<std::string>(0), static_cast<std::uint32_t>(row.get<std::int64_t>(1)),
                    row.get<std::string>(2)});
  });
  if (!read) return std::unexpected(read.error());
  return rows;
}

Result<void> ApprovalRecord::record(const ApprovalSetRecord& set,
                                    const std::vector<AppliedApproval>& in_place) {
  auto transaction = db_->begin_write("record an approval set");
  if (!transaction) return std::unexpected(transaction.error());
  auto insert = db_->prepare(
      "INSERT INTO approval_sets (source_id, sequence, manifest_sha256, recorded, result, applied, "
      "not_applied, "
      "unchanged, drift, eula_gaps, missing_updates, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
      "?10, "
      "?11, ?12)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(set.source_id, set.sequence, set.manifest_sha256, utc_now(), set.result, set.applied,
               set.not_applied, set.unchanged, set.drift, set.eula_gaps, set.missing_updates, set.summary);
  if (auto done = insert->run("record an approval set"); !done) return done;
  if (auto cleared = db_->exec("DELETE FROM applied_approvals", "record the applied approvals"); !cleared)
    return cleared;
  auto row = db_->prepare(
      "INSERT OR IGNORE INTO applied_approvals (update_id, revision, group_id) VALUES (?1, ?2, ?3)");
  if (!row) return std::unexpected(row.error());
  for (const auto& approval : in_place) {
    row->bind(approval.update_id, static_cast<std::int64_t>(approval.revision), approval.group_id);
    if (auto done = row->run("record the applied approvals"); !done) return done;
  }
  return transaction->commit();
}

Result<std::vector<ApprovalSetRecord>> ApprovalRecord::history(std::size_t limit) {
  // A ledger of an older schema opened read-only (status) is not migrated: it has no sets yet.
  auto present = db_->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'approval_sets'",
                                "read the approval sets");
  if (!present) return std::unexpected(present.error());
  if (*present == 0) return std::vector<ApprovalSetRecord>{};
  auto statement = db_->prepare(
      "SELECT id, source_id, sequence, manifest_sha256, recorded, result, applied, not_applied, unchanged, "
      "drift, "
      "eula_gaps, missing_updates, summary FROM (SELECT * FROM approval_sets ORDER BY id DESC LIMIT ?1) "
      "ORDER BY id");
  if (!statement) return std::unexpected(statement.error());
  statement->bind(static_cast<std::int64_t>(limit));
  std::vector<ApprovalSetRecord> sets;
  auto read = statement->each_row("read the approval sets", [&](const sqlite::Statement& row) {
    ApprovalSetRecord set;
    set.id = row.get<std::int64_t>(0);
    set.source_id = row.get<std::string>(1);
    set.sequence = row.get<std::uint64_t>(2);
    set.manifest_sha256 = row.get<std::string>(3);
    set.recorded_utc = row.get<std::string>(4);
    set.result = row.get<std::string>(5);
    set.applied = row.get<std::uint64_t>(6);
    set.not_applied = row.get<std::uint64_t>(7);
    set.unchanged = row.get<std::uint64_t>(8);
    set.drift = row.get<std::uint64_t>(9);
    set.eula_gaps = row.get<std::uint64_t>(10);
    set.missing_updates = row.get<std::uint64_t>(11);
    set.summary = row.get<std::string>(12);
    sets.push_back(std::move(set));
  });
  if (!read) return std::unexpected(read.error());
  return sets;
}

}  // namespace wsa::state
