#pragma once
// What the offline WSUS server must change so that its computer groups, approvals and declines are
// the ones the package's approvals.json states (the connected server's), and whether its settings
// allow an import at all. Pure: reads two server states and the content folder, changes nothing.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "wsus/approval_server.h"
#include "wsus/approvals.h"

namespace wsa::importing {

namespace fs = boost::filesystem;

// The settings Microsoft requires to match (express files, languages), the version (a warning) and
// whether the offline server may take approvals at all (not a replica).
struct SettingsCheck {
  std::vector<std::string> refusals;  // each names the setting and both values
  std::vector<std::string> warnings;
};
SettingsCheck compare_settings(const wsus::ServerSettings& connected, const wsus::ServerSettings& offline);

// An approval (or decline: group "") as the ledger remembers having applied it, on the offline server.
struct AppliedKey {
  std::string update_id;
  std::uint32_t revision = 0;
  std::string group_id;  // the offline server's group id; empty for a decline
  auto operator<=>(const AppliedKey&) const = default;
};

struct PlannedChange {
  wsus::ApprovalOperation operation;
  std::string what;               // "create group All Computers/Servers/Web", "approve Install for ...", ...
  std::optional<AppliedKey> key;  // the approval or decline it makes (recorded once applied)
};

struct ApprovalPlan {
  std::vector<PlannedChange> changes;         // in the order they must be applied
  std::vector<std::string> groups_created;    // paths
  std::vector<std::string> missing_updates;   // "update <id> revision <n>": not on the offline server
  std::vector<std::string> eula_gaps;         // approvals held back: their licence file is not in WsusContent
  std::vector<std::string> eula_gap_files;    // those files' WsusContent paths
  std::vector<std::string> drift;             // offline approvals and declines the package does not state
  std::set<AppliedKey> in_place;              // approvals and declines the package states, already so here
  std::uint64_t unchanged = 0;                // approvals and declines already as the package says
  std::uint64_t approvals = 0, declines = 0;  // in the package
};

struct PlanInputs {
  const wsus::ServerApprovalState* package =
      nullptr;  // approvals.json's state (updates approved or declined)
  const wsus::ServerApprovalState* offline = nullptr;  // the offline server as read now
  fs::path content;                                    // its WsusContent, for EULA files
  std::set<AppliedKey> applied_before;                 // what the ledger says earlier imports applied
  bool mirror = false;                                 // --approvals-mirror: remove drift too
};

// The changes, in order: missing groups (parents first), then per update its licence, approvals,
// removals and decline. Approvals come only from the package; an offline approval the package does not
// state is removed when an earlier import applied it (the connected side withdrew it) or with mirror,
// and is drift otherwise. Declines are never undone (drift). Errors: kOperational when the package's
// group tree cannot be placed (a group path the offline server holds twice).
Result<ApprovalPlan> plan_approvals(const PlanInputs& inputs);

}  // namespace wsa::importing
