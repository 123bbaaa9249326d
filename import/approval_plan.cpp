#include "import/approval_plan.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <map>

namespace wsa::importing {

namespace {

using wsus::ApprovalOperation;
using Kind = wsus::ApprovalOperation::Kind;
using UpdateKey = std::pair<std::string, std::uint32_t>;

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "none" : text;
}

const char* yes_no(bool value) {
  return value ? "true" : "false";
}

std::string describe(const wsus::Approval& approval) {
  std::string text = approval.optional ? "optional Install" : wsus::to_string(approval.action);
  if (!approval.deadline_utc.empty()) text += ", deadline " + approval.deadline_utc;
  return text;
}

std::string update_name(const std::string& id, std::uint32_t revision) {
  return "update " + id + " revision " + std::to_string(revision);
}

ApprovalOperation operation(Kind kind, const std::string& update_id, std::uint32_t revision) {
  ApprovalOperation op;
  op.kind = kind;
  op.update_id = update_id;
  op.revision = revision;
  return op;
}

// Where each of the package's groups is on the offline server: its id there, or the path of a group
// the plan creates (parents first, so a path always resolves).
struct GroupPlacement {
  std::map<std::string, wsus::GroupReference> target;  // package group id -> offline reference
  std::map<std::string, std::string> display;          // package group id -> "All Computers/..."
};

Result<GroupPlacement> place_groups(const wsus::ServerApprovalState& package,
                                    const wsus::ServerApprovalState& offline, ApprovalPlan& plan) {
  std::map<std::vector<std::string>, std::string> offline_by_path;
  std::set<std::string> offline_ids;
  for (const auto& group : offline.groups) {
    offline_ids.insert(group.id);
    auto path = wsus::group_path(offline.groups, group.id);
    if (!path || group.id == wsus::kUnassignedComputersGroupId) continue;
    if (!offline_by_path.emplace(*path, group.id).second) {
      return make_error(ExitCode::kOperational,
                        "computer group " + wsus::group_display(offline.groups, group.id),
                        "exists twice on this server, so the package's groups cannot be matched by path",
                        "rename one of them in the WSUS console");
    }
  }
  std::vector<std::pair<std::vector<std::string>, const wsus::ComputerGroup*>> ordered;
  for (const auto& group : package.groups) {
    auto path = wsus::group_path(package.groups, group.id);
    if (!path) return std::unexpected(path.error());
    ordered.emplace_back(std::move(*path), &group);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  // Named as this server names them: the built-in groups' names are its own (localised) ones.
  auto root = std::find_if(offline.groups.begin(), offline.groups.end(),
                           [](const wsus::ComputerGroup& g) { return g.id == wsus::kAllComputersGroupId; });
  const std::string root_name = root == offline.groups.end() ? "All Computers" : root->name;
  GroupPlacement placement;
  for (const auto& [path, group] : ordered) {
    std::string display = root_name;
    for (const auto& name : path) display += "/" + name;
    if (group->id == wsus::kUnassignedComputersGroupId)
      display = wsus::group_display(offline.groups, group->id);
    placement.display[group->id] = display;
    bool builtin = group->id == wsus::kAllComputersGroupId || group->id == wsus::kUnassignedComputersGroupId;
    if (builtin) {
      placement.target[group->id] = {group->id, {}};
      continue;
    }
    if (auto found = offline_by_path.find(path); found != offline_by_path.end()) {
      placement.target[group->id] = {found->second, {}};
      continue;
    }
    ApprovalOperation create;
    create.kind = Kind::kCreateGroup;
    create.group = placement.target.at(group->parent_id);
    create.name = group->name;
    plan.changes.push_back({create, "create computer group " + placement.display[group->id], std::nullopt});
    plan.groups_created.push_back(placement.display[group->id]);
    placement.target[group->id] = {"", path};
  }
  return placement;
}

// The licence files the update's approval needs, those not in WsusContent (all of them when none is known).
std::vector<std::string> missing_eula_files(const wsus::UpdateApprovals& update, const fs::path& content) {
  std::vector<std::string> missing;
  for (const auto& path : update.eula_files) {
    boost::system::error_code ec;
    if (!fs::is_regular_file(content / path, ec)) missing.push_back(path);
  }
  return missing;
}

// Offline approvals of `update` on groups the package does not approve it for: withdrawn on the
// connected side (an earlier import applied them) or with mirror, removed; otherwise drift, kept.
void plan_unstated(const wsus::UpdateApprovals& update, const std::set<std::string>& covered,
                   const wsus::ServerApprovalState& offline, const PlanInputs& inputs, ApprovalPlan& plan) {
  for (const auto& existing : update.approvals) {
    if (covered.contains(existing.group_id)) continue;
    AppliedKey key{update.update_id, update.revision, existing.group_id};
    std::string where = update_name(update.update_id, update.revision) + ": " + describe(existing) + " for " +
                        wsus::group_display(offline.groups, existing.group_id);
    if (inputs.mirror || inputs.applied_before.contains(key)) {
      auto remove = operation(Kind::kRemoveApproval, update.update_id, update.revision);
      remove.group = {existing.group_id, {}};
      plan.changes.push_back({remove, "remove approval " + where, std::nullopt});
    } else {
      plan.drift.push_back(where + " (made on this server; kept)");
    }
  }
}

}  // namespace

SettingsCheck compare_settings(const wsus::ServerSettings& connected, const wsus::ServerSettings& offline) {
  SettingsCheck check;
  if (connected.download_express_packages != offline.download_express_packages) {
    check.refusals.push_back(
        std::string("DownloadExpressPackages (download express installation files) is ") +
        yes_no(connected.download_express_packages) + " on the connected server and " +
        yes_no(offline.download_express_packages) + " on this one");
  }
  if (connected.all_update_languages_enabled && !offline.all_update_languages_enabled) {
    check.refusals.push_back(
        "AllUpdateLanguagesEnabled is true on the connected server (every language) and "
        "false on this one (languages: " +
        join(offline.enabled_update_languages) + ")");
  } else if (!offline.all_update_languages_enabled) {
    for (const auto& language : connected.enabled_update_languages) {
      if (!std::binary_search(offline.enabled_update_languages.begin(),
                              offline.enabled_update_languages.end(), language)) {
        check.refusals.push_back(
            "update language \"" + language + "\" is downloaded by the connected server (languages: " +
            join(connected.enabled_update_languages) +
            ") and not by this one (languages: " + join(offline.enabled_update_languages) + ")");
      }
    }
  }
  if (offline.is_replica_server) {
    check.refusals.push_back(
        "IsReplicaServer is true on this server: a replica takes its approvals from its "
        "upstream server and cannot set them");
  }
  if (connected.wsus_version != offline.wsus_version) {
    check.warnings.push_back("the WSUS versions differ: " + connected.wsus_version +
                             " on the connected server, " + offline.wsus_version + " on this one");
  }
  return check;
}

Result<ApprovalPlan> plan_approvals(const PlanInputs& inputs) {
  const auto& package = *inputs.package;
  const auto& offline = *inputs.offline;
  ApprovalPlan plan;
  auto placement = place_groups(package, offline, plan);
  if (!placement) return std::unexpected(placement.error());

  std::map<UpdateKey, const wsus::UpdateApprovals*> offline_updates;
  for (const auto& update : offline.updates) offline_updates[{update.update_id, update.revision}] = &update;
  std::set<UpdateKey> stated_updates;

  for (const auto& update : package.updates) {
    stated_updates.insert({update.update_id, update.revision});
    plan.approvals += update.approvals.size();
    plan.declines += update.declined ? 1 : 0;
    auto found = offline_updates.find({update.update_id, update.revision});
    if (found == offline_updates.end()) {
      plan.missing_updates.push_back(update_name(update.update_id, update.revision));
      continue;
    }
    const auto& here = *found->second;
    // WSUS drops a declined update's approvals, so the connected side's decline is all there is to state.
    if (update.declined) {
      AppliedKey key{update.update_id, update.revision, ""};
      if (here.declined) {
        ++plan.unchanged;
        plan.in_place.insert(key);
      } else {
        plan.changes.push_back({operation(Kind::kDecline, update.update_id, update.revision),
                                "decline " + update_name(update.update_id, update.revision), key});
      }
      continue;
    }
    std::set<std::string> covered;
    bool licence_needed = here.has_license && !here.license_accepted;
    bool licence_planned = false;
    for (const auto& approval : update.approvals) {
      const auto& target = placement->target.at(approval.group_id);
      const std::string& group_name = placement->display.at(approval.group_id);
      const wsus::Approval* existing = nullptr;
      if (!target.id.empty()) {
        covered.insert(target.id);
        for (const auto& candidate : here.approvals)
          if (candidate.group_id == target.id) existing = &candidate;
      }
      std::optional<AppliedKey> key;
      if (!target.id.empty()) key = AppliedKey{update.update_id, update.revision, target.id};
      if (existing &&
          *existing == wsus::Approval{target.id, approval.action, approval.optional, approval.deadline_utc}) {
        ++plan.unchanged;
        plan.in_place.insert(*key);
        continue;
      }
      std::string what = update_name(update.update_id, update.revision) + ": " + describe(approval) +
                         " for " + group_name + (existing ? " (was " + describe(*existing) + ")" : "");
      if (approval.action == wsus::ApprovalAction::kInstall && licence_needed && !licence_planned) {
        auto missing = missing_eula_files(update, inputs.content);
        if (!missing.empty() || update.eula_files.empty()) {
          plan.eula_gaps.push_back(
              what + ": not approved, its licence file" +
              (update.eula_files.empty() ? " is not known" : " " + join(missing) + " is not in WsusContent"));
          plan.eula_gap_files.insert(plan.eula_gap_files.end(), missing.begin(), missing.end());
          continue;
        }
        plan.changes.push_back({operation(Kind::kAcceptLicense, update.update_id, update.revision),
                                "accept the licence agreement of " +
                                    update_name(update.update_id, update.revision) + " (" +
                                    join(update.eula_files) + " present)",
                                std::nullopt});
        licence_planned = true;
      }
      auto approve = operation(Kind::kApprove, update.update_id, update.revision);
      approve.group = target;
      approve.approval = approval;
      plan.changes.push_back({approve, (existing ? "change " : "approve ") + what, key});
    }
    plan_unstated(here, covered, offline, inputs, plan);
    if (here.declined) {
      plan.drift.push_back(update_name(update.update_id, update.revision) +
                           ": declined on this server, approved on the connected one (kept declined)");
    }
  }
  for (const auto& update : offline.updates) {
    if (stated_updates.contains({update.update_id, update.revision})) continue;
    plan_unstated(update, {}, offline, inputs, plan);
    if (update.declined) {
      plan.drift.push_back(update_name(update.update_id, update.revision) +
                           ": declined on this server, not on the connected one (kept declined)");
    }
  }
  return plan;
}

}  // namespace wsa::importing
