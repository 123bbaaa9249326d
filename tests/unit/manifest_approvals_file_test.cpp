// approvals.json (docs/format.md): what is carried, its exact form, and every refusal of the reader.

#include <nlohmann/json.hpp>

#include "manifest/approvals_file.h"
#include "tests/support/catch.h"

using namespace wsa;
using namespace wsa::manifest;
using nlohmann::json;

namespace {

const std::string kAll(wsus::kAllComputersGroupId);
const std::string kServers = "11111111-1111-4111-8111-111111111111";
const std::string kUpdate = "3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11";

wsus::ServerApprovalState sample_state() {
  wsus::ServerApprovalState state;
  state.settings.wsus_version = "10.0.17763.678";
  state.settings.enabled_update_languages = {"de", "en"};
  state.settings.targeting_mode = "Server";
  state.groups = {{kAll, "All Computers", ""},
                  {kServers,
                   "Server \xC3\x9C"
                   "berall",
                   kAll}};
  wsus::UpdateApprovals approved;
  approved.update_id = kUpdate;
  approved.revision = 201;
  approved.approvals = {{kAll, wsus::ApprovalAction::kInstall, false, "2026-12-24T18:30:00Z"},
                        {kServers, wsus::ApprovalAction::kNotApproved, false, ""}};
  wsus::UpdateApprovals untouched;
  untouched.update_id = "0f0e0d0c-0b0a-4909-8807-060504030201";
  untouched.revision = 3;
  state.updates = {untouched, approved};
  return state;
}

json sample_json() {
  auto file = approvals_to_carry(sample_state(), "2026-12-02T04:00:00Z", "WSUS-UP01");
  return json::parse(serialize_approvals(file).value());
}

std::string why_refused(const json& document) {
  auto parsed = parse_approvals(document.dump(), "approvals.json");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ExitCode::kIntegrity);
  return parsed.error().why;
}

}  // namespace

TEST_CASE("approvals.json carries only updates approved or declined, and reads back equal") {
  auto file = approvals_to_carry(sample_state(), "2026-12-02T04:00:00Z", "WSUS-UP01");
  REQUIRE(file.state.updates.size() == 1);
  auto text = serialize_approvals(file).value();
  CHECK(text.starts_with("{\n  \"created_utc\": \"2026-12-02T04:00:00Z\",\n  \"format_version\": 1,\n"));
  CHECK(text.ends_with("}\n"));
  auto parsed = parse_approvals(text, "approvals.json").value();
  CHECK(parsed.state == file.state);
  CHECK(parsed.source_host == "WSUS-UP01");
}

TEST_CASE("approvals.json from another format version is refused with its own message") {
  auto document = sample_json();
  document["format_version"] = 2;
  CHECK(why_refused(document) ==
        "was written by a newer wsus-airgap (format 2); this one reads format 1: upgrade wsus-airgap on this "
        "server");
  document["format_version"] = 0;
  CHECK(why_refused(document) == "approvals format version 0 is older than this wsus-airgap reads (1)");
}

TEST_CASE("approvals.json naming an unknown group, repeating an update or a deadline not in UTC is refused") {
  auto unknown = sample_json();
  unknown["updates"][0]["approvals"][0]["group_id"] = "99999999-9999-4999-8999-999999999999";
  CHECK(why_refused(unknown) ==
        "update " + kUpdate + " is approved for the unknown group id 99999999-9999-4999-8999-999999999999");

  auto repeated = sample_json();
  repeated["updates"].push_back(repeated["updates"][0]);
  CHECK(why_refused(repeated) == "update " + kUpdate + " revision 201 is listed twice");

  for (const char* deadline :
       {"2026-12-24T18:30:00+01:00", "2026-12-24T18:30:00", "2026-12-24 18:30:00Z", "2026-02-30T18:30:00Z"}) {
    auto local = sample_json();
    local["updates"][0]["approvals"][0]["deadline_utc"] = deadline;
    CHECK(why_refused(local).find("is not a") != std::string::npos);
  }

  auto orphan = sample_json();
  orphan["groups"][1]["parent_id"] = "99999999-9999-4999-8999-999999999999";
  CHECK(why_refused(orphan).find("names the unknown group 99999999-9999-4999-8999-999999999999") !=
        std::string::npos);

  auto action = sample_json();
  action["updates"][0]["approvals"][0]["action"] = "All";
  CHECK(why_refused(action) ==
        "field updates[0].approvals[0].action \"All\" is not Install, Uninstall or NotApproved");

  auto extra = sample_json();
  extra["updates"][0]["kb"] = "5034441";
  CHECK(why_refused(extra) == "has an unknown field updates[0].kb");
}

TEST_CASE("approvals.json larger than its bound is refused unread") {
  std::string huge(kMaxApprovalsBytes + 1, ' ');
  auto parsed = parse_approvals(huge, "approvals.json");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ExitCode::kIntegrity);
  CHECK(parsed.error().why.starts_with("is too large: "));
}
