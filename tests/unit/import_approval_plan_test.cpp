// The approvals plan (import/approval_plan.h): settings that refuse, groups matched by path, and an
// offline approval told apart as withdrawn (applied before: removed) or hand-made (drift: kept).

#include "import/approval_plan.h"
#include "tests/support/catch.h"

using namespace wsa;
using namespace wsa::importing;

namespace {

const std::string kAll(wsus::kAllComputersGroupId);
const std::string kUpdate = "3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11";

wsus::ServerApprovalState server(const std::string& root_name) {
  wsus::ServerApprovalState state;
  state.settings.wsus_version = "10.0.17763.678";
  state.settings.enabled_update_languages = {"en"};
  state.settings.targeting_mode = "Server";
  state.groups = {{kAll, root_name, ""}};
  wsus::UpdateApprovals update;
  update.update_id = kUpdate;
  update.revision = 5;
  state.updates = {update};
  return state;
}

}  // namespace

TEST_CASE(
    "the settings check names each setting that must match with both values, and warns on the version") {
  auto connected = server("All Computers").settings;
  auto offline = connected;
  offline.download_express_packages = true;
  offline.wsus_version = "10.0.20348.1";
  connected.enabled_update_languages = {"de", "en"};
  auto check = compare_settings(connected, offline);
  REQUIRE(check.refusals.size() == 2);
  CHECK(check.refusals[0] ==
        "DownloadExpressPackages (download express installation files) is false on the connected server and "
        "true "
        "on this one");
  CHECK(check.refusals[1] ==
        "update language \"de\" is downloaded by the connected server (languages: de, en) "
        "and not by this one (languages: en)");
  REQUIRE(check.warnings.size() == 1);
  CHECK(check.warnings[0] ==
        "the WSUS versions differ: 10.0.17763.678 on the connected server, 10.0.20348.1 on "
        "this one");
  offline = connected;
  offline.all_update_languages_enabled = true;
  CHECK(compare_settings(connected, offline).refusals.empty());
  offline.is_replica_server = true;
  CHECK(compare_settings(connected, offline).refusals.size() == 1);
}

TEST_CASE("a group is created by path under the offline server's own (localised) All Computers, once") {
  auto package = server("All Computers");
  package.groups.push_back({"11111111-1111-4111-8111-111111111111", "Web", kAll});
  package.updates[0].approvals = {
      {"11111111-1111-4111-8111-111111111111", wsus::ApprovalAction::kInstall, false, ""}};
  auto offline = server("Alle Computer");
  PlanInputs inputs{&package, &offline, "/nonexistent", {}, false};
  auto plan = plan_approvals(inputs).value();
  REQUIRE(plan.changes.size() == 2);
  CHECK(plan.changes[0].what == "create computer group Alle Computer/Web");
  CHECK(plan.changes[0].operation.group.id == kAll);
  CHECK(plan.changes[1].what == "approve update " + kUpdate + " revision 5: Install for Alle Computer/Web");
  CHECK(plan.changes[1].operation.group.path == std::vector<std::string>{"Web"});

  offline.groups.push_back({"77777777-7777-4777-8777-777777777777", "Web", kAll});
  plan = plan_approvals(inputs).value();
  REQUIRE(plan.changes.size() == 1);
  CHECK(plan.changes[0].operation.group.id == "77777777-7777-4777-8777-777777777777");
}

TEST_CASE(
    "an offline approval the package does not state is removed when an earlier import applied it, else "
    "drift") {
  auto package = server("All Computers");
  auto offline = server("All Computers");
  offline.updates[0].approvals = {{kAll, wsus::ApprovalAction::kUninstall, false, ""}};
  PlanInputs inputs{&package, &offline, "/nonexistent", {}, false};
  auto drift = plan_approvals(inputs).value();
  CHECK(drift.changes.empty());
  REQUIRE(drift.drift.size() == 1);
  CHECK(drift.drift[0] ==
        "update " + kUpdate + " revision 5: Uninstall for All Computers (made on this server; kept)");

  inputs.applied_before = {{kUpdate, 5, kAll}};
  auto withdrawn = plan_approvals(inputs).value();
  REQUIRE(withdrawn.changes.size() == 1);
  CHECK(withdrawn.changes[0].operation.kind == wsus::ApprovalOperation::Kind::kRemoveApproval);
  CHECK(withdrawn.drift.empty());

  inputs.applied_before.clear();
  inputs.mirror = true;
  CHECK(plan_approvals(inputs).value().changes.size() == 1);
}

TEST_CASE("an update revision the offline server lacks is reported, not planned") {
  auto package = server("All Computers");
  package.updates[0].revision = 6;
  package.updates[0].declined = true;
  auto offline = server("All Computers");
  PlanInputs inputs{&package, &offline, "/nonexistent", {}, false};
  auto plan = plan_approvals(inputs).value();
  CHECK(plan.changes.empty());
  CHECK(plan.missing_updates == std::vector<std::string>{"update " + kUpdate + " revision 6"});
}
