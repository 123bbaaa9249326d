#pragma once
// What a WSUS server says about approvals: its computer groups, every update revision it holds with
// its approvals and whether it is declined, and the settings that must match for export/import. Read
// through the administration API by wsus/powershell/read-approvals.ps1 (wsus/approval_server.h); the
// package carries the connected side's as approvals.json (manifest/approvals_file.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace wsa::wsus {

// The built-in groups' fixed ids (ComputerTargetGroupId); their names are localised, so never matched.
inline constexpr std::string_view kAllComputersGroupId = "a0a08746-4dbe-4a37-9adf-9e7652c0b421";
inline constexpr std::string_view kUnassignedComputersGroupId = "b73ca6ed-5727-47f3-84de-015e03f6a88a";

enum class ApprovalAction { kInstall, kUninstall, kNotApproved };
const char* to_string(ApprovalAction action);
std::optional<ApprovalAction> parse_approval_action(std::string_view text);

struct ServerSettings {
  std::string wsus_version;  // IUpdateServer.Version, "10.0.17763.678"
  bool download_express_packages = false;
  bool all_update_languages_enabled = false;
  std::vector<std::string> enabled_update_languages;  // sorted, distinct
  bool download_update_binaries_as_needed = false;
  std::string targeting_mode;  // "Server" or "Client"
  bool is_replica_server = false;

  bool operator==(const ServerSettings&) const = default;
};

struct ComputerGroup {
  std::string id;         // GUID, lower case
  std::string name;       // UTF-8
  std::string parent_id;  // empty for All Computers

  bool operator==(const ComputerGroup&) const = default;
};

struct Approval {
  std::string group_id;
  ApprovalAction action = ApprovalAction::kInstall;
  bool optional = false;
  std::string deadline_utc;  // "YYYY-MM-DDTHH:MM:SSZ", empty: no deadline

  bool operator==(const Approval&) const = default;
};

struct UpdateApprovals {
  std::string update_id;  // GUID, lower case
  std::uint32_t revision = 0;
  bool declined = false;
  bool has_license = false;
  bool license_accepted = false;
  std::vector<std::string> eula_files;  // WsusContent paths XX/<SHA1>.txt of its licence files
  std::vector<Approval> approvals;      // by group id

  bool operator==(const UpdateApprovals&) const = default;
};

struct ServerApprovalState {
  ServerSettings settings;
  std::vector<ComputerGroup> groups;
  std::vector<UpdateApprovals> updates;  // sorted by (update_id, revision)

  bool operator==(const ServerApprovalState&) const = default;
};

// Bounds on what one server (or one approvals.json) may list.
inline constexpr std::size_t kMaxGroups = 10'000;
inline constexpr std::size_t kMaxApprovalUpdates = 1'000'000;
inline constexpr std::size_t kMaxApprovalsPerUpdate = 10'000;
inline constexpr std::size_t kMaxLanguages = 200;
inline constexpr std::size_t kMaxEulaFiles = 64;
inline constexpr std::size_t kMaxGroupNameBytes = 1024;

// A group's path: the names from below All Computers down to it ("Servers", "Web"); empty for All
// Computers. Unassigned Computers is matched by its id, not its path. Errors when a parent is unknown
// or the tree has a cycle.
Result<std::vector<std::string>> group_path(const std::vector<ComputerGroup>& groups, const std::string& id);
// "All Computers/Servers/Web" for messages (the root as named by `groups`).
std::string group_display(const std::vector<ComputerGroup>& groups, const std::string& id);

// Strict parse of read-approvals.ps1's output (its header gives the form): GUIDs, UTC deadlines,
// known actions, a group tree rooted at All Computers, each group and update key once, bounded counts.
// Errors (kOperational) name `where`.
Result<ServerApprovalState> parse_server_approvals(std::string_view json, const std::string& where);

}  // namespace wsa::wsus
