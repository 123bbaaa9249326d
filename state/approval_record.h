#pragma once
// The approval sets imports applied to the offline WSUS server (schema 4, tables `approval_sets` and
// `applied_approvals`): one row per applied set for `status` and the reports, and the approvals and
// declines the last one left in place, so the next import can tell an approval the connected side
// withdrew (applied before: removed) from one made by hand on this server (drift: kept).

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

struct ApprovalSetRecord {
  std::int64_t id = 0;
  std::string source_id;
  std::uint64_t sequence = 0;
  std::string manifest_sha256;
  std::string recorded_utc;  // set by record()
  std::string result;        // "applied", "partly applied", "nothing to change", "planned"
  std::uint64_t applied = 0, not_applied = 0, unchanged = 0, drift = 0, eula_gaps = 0, missing_updates = 0;
  std::string summary;
};

// An approval (group_id = the offline group's id) or a decline (group_id empty) an import left in place.
struct AppliedApproval {
  std::string update_id;
  std::uint32_t revision = 0;
  std::string group_id;
};

// The approval tables of one connection. Not thread-safe: the Ledger serializes its use.
class ApprovalRecord {
 public:
  explicit ApprovalRecord(sqlite::Database& db) : db_(&db) {}
  Result<std::vector<AppliedApproval>> applied();
  // Adds `set` and replaces the applied approvals with `in_place`, in one transaction.
  Result<void> record(const ApprovalSetRecord& set, const std::vector<AppliedApproval>& in_place);
  // The newest `limit` sets, oldest first.
  Result<std::vector<ApprovalSetRecord>> history(std::size_t limit);

 private:
  sqlite::Database* db_;
};

}  // namespace wsa::state
