#include "wsus/approvals.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/text.h"
#include "wsus/approvals_json.h"
#include "wsus/export_package.h"

namespace wsa::wsus {

namespace {

using nlohmann::json;

// The one spelling a deadline may have: "YYYY-MM-DDTHH:MM:SSZ", UTC (an offset or a local time is refused).
bool is_utc_instant(std::string_view text) {
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return false;
  }
  auto number = [&](std::size_t at, std::size_t length) -> int {
    auto part = text.substr(at, length);
    if (!is_decimal_digits(part)) return -1;
    return std::stoi(std::string(part));
  };
  int month = number(5, 2), day = number(8, 2), hour = number(11, 2), minute = number(14, 2),
      second = number(17, 2);
  return number(0, 4) >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 &&
         minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

std::string guid(const JsonObjectReader& reader, std::string_view name) {
  std::string text = reader.string(name);
  auto normalized = normalize_update_id(text);
  if (!normalized)
    throw JsonRefusal{"field " + reader.label(name) + " \"" + printable(text) + "\" is not a GUID"};
  return *normalized;
}

bool boolean(const JsonObjectReader& reader, std::string_view name) {
  const json& value = reader.field(name);
  if (!value.is_boolean()) throw JsonRefusal{"field " + reader.label(name) + " is not true or false"};
  return value.get<bool>();
}

const json& bounded_array(const JsonObjectReader& reader, std::string_view name, std::size_t max) {
  const json& value = reader.array(name);
  if (value.size() > max) {
    throw JsonRefusal{"field " + reader.label(name) + " is too large: " + std::to_string(value.size()) +
                      " entries; the limit is " + std::to_string(max)};
  }
  return value;
}

ServerSettings read_settings(const json& value, std::string wsus_version) {
  JsonObjectReader reader(value, "settings.");
  reader.refuse_unknown({"download_express_packages", "all_update_languages_enabled",
                         "enabled_update_languages", "download_update_binaries_as_needed", "targeting_mode",
                         "is_replica_server"});
  ServerSettings settings;
  settings.wsus_version = std::move(wsus_version);
  settings.download_express_packages = boolean(reader, "download_express_packages");
  settings.all_update_languages_enabled = boolean(reader, "all_update_languages_enabled");
  const json& languages = bounded_array(reader, "enabled_update_languages", kMaxLanguages);
  for (const auto& language : languages) {
    if (!language.is_string() || !is_identifier(language.get<std::string>(), 32)) {
      throw JsonRefusal{"field settings.enabled_update_languages holds a value that is not a language code"};
    }
    settings.enabled_update_languages.push_back(to_lower_ascii(language.get<std::string>()));
  }
  std::sort(settings.enabled_update_languages.begin(), settings.enabled_update_languages.end());
  settings.enabled_update_languages.erase(
      std::unique(settings.enabled_update_languages.begin(), settings.enabled_update_languages.end()),
      settings.enabled_update_languages.end());
  settings.download_update_binaries_as_needed = boolean(reader, "download_update_binaries_as_needed");
  settings.targeting_mode = reader.string("targeting_mode");
  if (settings.targeting_mode != "Server" && settings.targeting_mode != "Client") {
    throw JsonRefusal{"field settings.targeting_mode \"" + printable(settings.targeting_mode) +
                      "\" is neither \"Server\" nor \"Client\""};
  }
  settings.is_replica_server = boolean(reader, "is_replica_server");
  return settings;
}

ComputerGroup read_group(const json& value, const std::string& context) {
  JsonObjectReader reader(value, context);
  reader.refuse_unknown({"id", "name", "parent_id"});
  ComputerGroup group;
  group.id = guid(reader, "id");
  group.name = reader.text("name", kMaxGroupNameBytes, /*allow_empty=*/false);
  if (!reader.is_null("parent_id")) group.parent_id = guid(reader, "parent_id");
  return group;
}

Approval read_approval(const json& value, const std::string& context) {
  JsonObjectReader reader(value, context);
  reader.refuse_unknown({"group_id", "action", "optional", "deadline_utc"});
  Approval approval;
  approval.group_id = guid(reader, "group_id");
  std::string action = reader.string("action");
  auto parsed = parse_approval_action(action);
  if (!parsed) {
    throw JsonRefusal{"field " + reader.label("action") + " \"" + printable(action) +
                      "\" is not Install, Uninstall or NotApproved"};
  }
  approval.action = *parsed;
  approval.optional = boolean(reader, "optional");
  if (!reader.is_null("deadline_utc")) {
    approval.deadline_utc = reader.string("deadline_utc");
    if (!is_utc_instant(approval.deadline_utc)) {
      throw JsonRefusal{"field " + reader.label("deadline_utc") + " \"" + printable(approval.deadline_utc) +
                        "\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ"};
    }
  }
  if (approval.optional && (approval.action != ApprovalAction::kInstall || !approval.deadline_utc.empty())) {
    throw JsonRefusal{"field " + reader.label("optional") +
                      " is true for an approval that is not an Install "
                      "without deadline"};
  }
  return approval;
}

UpdateApprovals read_update(const json& value, const std::string& context) {
  JsonObjectReader reader(value, context);
  reader.refuse_unknown(
      {"update_id", "revision", "declined", "has_license", "license_accepted", "eula_files", "approvals"});
  UpdateApprovals update;
  update.update_id = guid(reader, "update_id");
  auto revision = reader.unsigned_integer("revision");
  if (revision > 0x7FFFFFFF)
    throw JsonRefusal{"field " + reader.label("revision") + " is larger than 2147483647"};
  update.revision = static_cast<std::uint32_t>(revision);
  update.declined = boolean(reader, "declined");
  update.has_license = boolean(reader, "has_license");
  update.license_accepted = boolean(reader, "license_accepted");
  for (const auto& path : bounded_array(reader, "eula_files", kMaxEulaFiles)) {
    std::string text = path.is_string() ? path.get<std::string>() : std::string();
    bool canonical = text.size() == 47 && text[2] == '/' && text.ends_with(".txt") &&
                     text.substr(0, 2) == text.substr(41, 2) &&
                     std::all_of(text.begin() + 3, text.begin() + 43,
                                 [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
    if (!canonical) {
      throw JsonRefusal{"field " + reader.label("eula_files") + " holds \"" + printable(text) +
                        "\", not a WsusContent path XX/<SHA1>.txt"};
    }
    update.eula_files.push_back(text);
  }
  const json& approvals = bounded_array(reader, "approvals", kMaxApprovalsPerUpdate);
  for (std::size_t i = 0; i < approvals.size(); ++i) {
    update.approvals.push_back(
        read_approval(approvals[i], reader.label("approvals") + "[" + std::to_string(i) + "]."));
  }
  return update;
}

}  // namespace

const char* to_string(ApprovalAction action) {
  switch (action) {
    case ApprovalAction::kInstall:
      return "Install";
    case ApprovalAction::kUninstall:
      return "Uninstall";
    case ApprovalAction::kNotApproved:
      break;
  }
  return "NotApproved";
}

std::optional<ApprovalAction> parse_approval_action(std::string_view text) {
  if (text == "Install") return ApprovalAction::kInstall;
  if (text == "Uninstall") return ApprovalAction::kUninstall;
  if (text == "NotApproved") return ApprovalAction::kNotApproved;
  return std::nullopt;
}

Result<std::vector<std::string>> group_path(const std::vector<ComputerGroup>& groups, const std::string& id) {
  std::vector<std::string> path;
  std::string at = id;
  for (std::size_t steps = 0; at != kAllComputersGroupId; ++steps) {
    auto found =
        std::find_if(groups.begin(), groups.end(), [&](const ComputerGroup& g) { return g.id == at; });
    if (found == groups.end() || found->parent_id.empty() || steps > groups.size()) {
      return make_error(ExitCode::kOperational, "computer group " + id,
                        found == groups.end()
                            ? "names the unknown group " + at
                            : "is not below All Computers (" + std::string(kAllComputersGroupId) +
                                  ") or its parents form a cycle");
    }
    path.push_back(found->name);
    at = found->parent_id;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::string group_display(const std::vector<ComputerGroup>& groups, const std::string& id) {
  auto root = std::find_if(groups.begin(), groups.end(),
                           [](const ComputerGroup& g) { return g.id == kAllComputersGroupId; });
  std::string text = root == groups.end() ? std::string("All Computers") : root->name;
  auto path = group_path(groups, id);
  if (!path) return id;
  for (const auto& name : *path) text += "/" + name;
  return text;
}

void check_approval_state(const ServerApprovalState& state) {
  std::set<std::string> ids;
  bool root = false;
  std::set<std::pair<std::string, std::string>> siblings;
  for (const auto& group : state.groups) {
    if (!ids.insert(group.id).second) throw JsonRefusal{"group " + group.id + " is listed twice"};
    if (group.id == kAllComputersGroupId) {
      if (!group.parent_id.empty()) throw JsonRefusal{"group All Computers (" + group.id + ") has a parent"};
      root = true;
    } else if (group.parent_id.empty()) {
      throw JsonRefusal{"group " + group.id + " has no parent but is not All Computers"};
    }
    // Groups are matched by path on the other server: two siblings of one name would be ambiguous.
    if (!group.parent_id.empty() && !siblings.emplace(group.parent_id, group.name).second) {
      throw JsonRefusal{"group " + group.id + ": its parent has two child groups named \"" +
                        printable(group.name) + "\""};
    }
  }
  if (!root) throw JsonRefusal{"lists no All Computers group (" + std::string(kAllComputersGroupId) + ")"};
  for (const auto& group : state.groups) {
    if (auto path = group_path(state.groups, group.id); !path) throw JsonRefusal{path.error().message()};
  }
  std::set<std::pair<std::string, std::uint32_t>> keys;
  for (const auto& update : state.updates) {
    if (!keys.emplace(update.update_id, update.revision).second) {
      throw JsonRefusal{"update " + update.update_id + " revision " + std::to_string(update.revision) +
                        " is listed twice"};
    }
    std::set<std::string> approved_groups;
    for (const auto& approval : update.approvals) {
      if (!ids.contains(approval.group_id)) {
        throw JsonRefusal{"update " + update.update_id + " is approved for the unknown group id " +
                          approval.group_id};
      }
      if (!approved_groups.insert(approval.group_id).second) {
        throw JsonRefusal{"update " + update.update_id + " has two approvals for group " + approval.group_id};
      }
    }
  }
}

ServerApprovalState read_approval_fields(const JsonObjectReader& top) {
  ServerApprovalState state;
  std::string version = top.text("wsus_version", 64, /*allow_empty=*/false);
  state.settings = read_settings(top.field("settings"), std::move(version));
  const json& groups = bounded_array(top, "groups", kMaxGroups);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    state.groups.push_back(read_group(groups[i], "groups[" + std::to_string(i) + "]."));
  }
  const json& updates = bounded_array(top, "updates", kMaxApprovalUpdates);
  state.updates.reserve(updates.size());
  for (std::size_t i = 0; i < updates.size(); ++i) {
    state.updates.push_back(read_update(updates[i], "updates[" + std::to_string(i) + "]."));
  }
  check_approval_state(state);
  std::sort(state.updates.begin(), state.updates.end(), [](const auto& a, const auto& b) {
    return std::tie(a.update_id, a.revision) < std::tie(b.update_id, b.revision);
  });
  for (auto& update : state.updates) {
    std::sort(update.approvals.begin(), update.approvals.end(),
              [](const Approval& a, const Approval& b) { return a.group_id < b.group_id; });
  }
  return state;
}

void write_approval_fields(const ServerApprovalState& state, json& document) {
  const auto& s = state.settings;
  document["wsus_version"] = s.wsus_version;
  document["settings"] = {{"download_express_packages", s.download_express_packages},
                          {"all_update_languages_enabled", s.all_update_languages_enabled},
                          {"enabled_update_languages", s.enabled_update_languages},
                          {"download_update_binaries_as_needed", s.download_update_binaries_as_needed},
                          {"targeting_mode", s.targeting_mode},
                          {"is_replica_server", s.is_replica_server}};
  json groups = json::array();
  for (const auto& group : state.groups) {
    groups.push_back({{"id", group.id},
                      {"name", group.name},
                      {"parent_id", group.parent_id.empty() ? json(nullptr) : json(group.parent_id)}});
  }
  document["groups"] = std::move(groups);
  json updates = json::array();
  for (const auto& update : state.updates) {
    json approvals = json::array();
    for (const auto& approval : update.approvals) {
      approvals.push_back(
          {{"group_id", approval.group_id},
           {"action", to_string(approval.action)},
           {"optional", approval.optional},
           {"deadline_utc", approval.deadline_utc.empty() ? json(nullptr) : json(approval.deadline_utc)}});
    }
    updates.push_back({{"update_id", update.update_id},
                       {"revision", update.revision},
                       {"declined", update.declined},
                       {"has_license", update.has_license},
                       {"license_accepted", update.license_accepted},
                       {"eula_files", update.eula_files},
                       {"approvals", std::move(approvals)}});
  }
  document["updates"] = std::move(updates);
}

Result<ServerApprovalState> parse_server_approvals(std::string_view text, const std::string& where) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  try {
    json document = parse_strict_json(text, 256ULL << 20);
    JsonObjectReader top(document, "");
    top.refuse_unknown({"wsus_version", "settings", "groups", "updates"});
    return read_approval_fields(top);
  } catch (const JsonRefusal& refusal) {
    return make_error(
        ExitCode::kOperational, where, refusal.why,
        "the approvals query must print one JSON object; see wsus/powershell/read-approvals.ps1");
  }
}

}  // namespace wsa::wsus
