// End-to-end tests of carrying approvals across the gap: `export` reads the connected stand-in WSUS
// through the embedded read-approvals.ps1, the package carries approvals.json pinned by the signed
// manifest, and `import` checks the offline stand-in's settings first, then applies the changes with
// apply-approvals.ps1 after wsusutil import. Both sides run the product's own launching code; only the
// program differs (--powershell: tests/pwsh-host), as in gaps_server_test.cpp.

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <tuple>

#include "tests/support/catch.h"
#include "tests/support/scenario.h"

namespace {

using namespace wsa;
using namespace wsa::test;
using nlohmann::json;

const std::string kAll = "a0a08746-4dbe-4a37-9adf-9e7652c0b421";
const std::string kUnassigned = "b73ca6ed-5727-47f3-84de-015e03f6a88a";
const std::string kServers = "11111111-1111-4111-8111-111111111111";
const std::string kWeb = "22222222-2222-4222-8222-222222222222";
const std::string kKiosk = "33333333-3333-4333-8333-333333333333";
const std::string kU1 = "3b5e1c0a-7f3e-4b7e-9d51-0c9f1f6a2b11";
const std::string kU2 = "8d2f4e61-1a7b-4c3d-8e9f-a0b1c2d3e4f5";
const std::string kU3 = "0f0e0d0c-0b0a-4909-8807-060504030201";
const std::string kU4 = "4a4a4a4a-4b4b-4c4c-8d8d-4e4e4e4e4e4e";
const std::string kEulaSha1 = "A0112233445566778899AABBCCDDEEFF00112214";
const std::string kEulaPath = "14/" + kEulaSha1 + ".txt";

json update(const std::string& id, int revision, json approvals = json::array(), bool declined = false) {
  return {{"update_id", id},
          {"revision", revision},
          {"title", "update " + id.substr(0, 4)},
          {"approvals", approvals},
          {"is_declined", declined}};
}

json approval(const std::string& group, const std::string& action, json deadline = nullptr,
              bool optional = false) {
  return {{"computer_target_group_id", group},
          {"action", action},
          {"deadline_utc", deadline},
          {"is_optional", optional}};
}

json built_in_groups(const std::string& all_name, const std::string& unassigned_name) {
  return json::array({{{"id", kAll}, {"name", all_name}, {"parent_id", nullptr}},
                      {{"id", kUnassigned}, {"name", unassigned_name}, {"parent_id", kAll}}});
}

// The connected server: nested groups (one named in German with an umlaut, English built-in names),
// approvals of every action with and without deadlines, an optional install, a decline, and an update
// whose licence was accepted there.
json connected_server() {
  json groups = built_in_groups("All Computers", "Unassigned Computers");
  groups.push_back({{"id", kServers},
                    {"name",
                     "Server \xC3\x9C"
                     "berall"},
                    {"parent_id", kAll}});
  groups.push_back({{"id", kWeb}, {"name", "Web"}, {"parent_id", kServers}});
  groups.push_back({{"id", kKiosk}, {"name", "Kiosk"}, {"parent_id", kAll}});
  json licensed = update(kU3, 3, json::array({approval(kWeb, "Install")}));
  licensed["requires_license_agreement_acceptance"] = true;
  licensed["license_accepted"] = true;
  licensed["installable_items"] = json::array(
      {{{"id", "c1c1c1c1-0000-4000-8000-000000000001"},
        {"files", json::array({{{"name", "eula-en-us.txt"}, {"sha1", kEulaSha1}, {"size", 12}}})}}});
  return {
      {"version", "10.0.17763.678"},
      {"configuration", {{"download_express_packages", false}, {"enabled_update_languages", {"en", "de"}}}},
      {"groups", groups},
      {"updates",
       json::array(
           {update(kU1, 201,
                   json::array({approval(kAll, "Install", "2026-12-24T18:30:00Z"),
                                approval(kWeb, "NotApproved"), approval(kKiosk, "Install", nullptr, true)})),
            update(kU2, 7, json::array({approval(kServers, "Uninstall", "2027-01-15T06:00:00Z")})),
            update(kU4, 1, json::array(), true), licensed})}};
}

// The offline server as wsusutil import leaves it: the same revisions, no approvals, no decline, the
// licence not accepted, built-in groups named in German.
json offline_server() {
  json server = connected_server();
  server["groups"] = built_in_groups("Alle Computer", "Nicht zugewiesene Computer");
  for (auto& u : server["updates"]) {
    u["approvals"] = json::array();
    u["is_declined"] = false;
    if (u.contains("license_accepted")) u["license_accepted"] = false;
  }
  server["version"] = "10.0.20348.1";
  return server;
}

// What a test compares: groups by path below All Computers, approvals by (update, revision, group path).
struct Shape {
  std::set<std::string> groups;
  std::map<std::tuple<std::string, int, std::string>, std::string> approvals;
  std::set<std::string> declined;
  bool operator==(const Shape&) const = default;
};

Shape shape_of(const json& server) {
  std::map<std::string, json> by_id;
  for (const auto& g : server["groups"]) by_id[g["id"]] = g;
  auto path = [&](std::string id) {
    std::string text;
    if (id == kUnassigned) return std::string("<unassigned>");
    while (id != kAll) {
      const auto& g = by_id.at(id);
      text = "/" + g["name"].get<std::string>() + text;
      id = g["parent_id"];
    }
    return text;
  };
  Shape shape;
  for (const auto& [id, g] : by_id) shape.groups.insert(path(id));
  for (const auto& u : server["updates"]) {
    if (u.value("is_declined", false)) shape.declined.insert(u["update_id"]);
    for (const auto& a : u.value("approvals", json::array())) {
      std::string deadline =
          a.value("deadline_utc", json()).is_string() ? a["deadline_utc"].get<std::string>() : "";
      shape.approvals[{u["update_id"], u["revision"], path(a["computer_target_group_id"])}] =
          a["action"].get<std::string>() + (a.value("is_optional", false) ? " optional" : "") + " " +
          deadline;
    }
  }
  return shape;
}

struct Servers {
  fs::path connected, offline;
};

Servers write_servers(const Scenario& scene, const json& connected, const json& offline) {
  Servers files{scene.root() / "connected-wsus.json", scene.root() / "offline-wsus.json"};
  write_file(files.connected, connected.dump(2));
  write_file(files.offline, offline.dump(2));
  set_env("WSUS_STANDIN_API_DIR", WSUS_STANDIN_API_DIR);
  return files;
}

json read_server(const fs::path& file) {
  return json::parse(read_file(file));
}

RunResult export_with(const Scenario& scene, const Servers& servers, std::vector<std::string> extra = {}) {
  set_env("WSUS_STANDIN_SERVER", servers.connected.string());
  std::vector<std::string> args = {"--approvals", "read", "--powershell", PWSH_HOST_BINARY};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.export_package(args);
}

RunResult import_with(const Scenario& scene, const Servers& servers, std::vector<std::string> extra = {}) {
  set_env("WSUS_STANDIN_SERVER", servers.offline.string());
  std::vector<std::string> args = {"--powershell", PWSH_HOST_BINARY};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.import_packages(args);
}

void place_eula(const Scenario& scene) {
  fs::create_directories(scene.offline() / "14");
  write_file(scene.offline() / kEulaPath, "licence text");
}

}  // namespace

TEST_CASE(
    "approvals, declines and nested groups travel signed: the offline stand-in ends with the connected "
    "one's groups, approvals and declines, and a second import changes nothing") {
  Scenario scene("approvals-roundtrip", 4);
  auto servers = write_servers(scene, connected_server(), offline_server());
  auto exported = export_with(scene, servers);
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(contains(
      exported.out,
      "approvals: 5 approval(s) of 4 update(s), 1 declined, 5 computer group(s) (WSUS 10.0.17763.678)"));
  json manifest = json::parse(read_file(scene.package(1) / "manifest.json"));
  CHECK(manifest["format_version"] == 2);
  CHECK(manifest["approvals"]["name"] == "approvals.json");
  json carried = json::parse(read_file(scene.package(1) / "approvals.json"));
  CHECK(carried["format_version"] == 1);
  CHECK(carried["updates"].size() == 4);

  place_eula(scene);
  fs::path html = scene.root() / "import.html";
  auto imported = import_with(scene, servers, {"--new-ledger", "--report", html.string()});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  std::string page = read_file(html);
  CHECK(contains(page, "<h2>Approvals, declines and computer groups</h2>"));
  CHECK(contains(page, "<h3>Changes applied (10)</h3>"));
  CHECK(contains(page, "<h3>Computer groups created (3)</h3>"));
  CHECK(contains(
      imported.err,
      "warning: the WSUS versions differ: 10.0.17763.678 on the connected server, 10.0.20348.1 on this one"));
  CHECK(contains(imported.out, "approvals: 10 of 10 change(s) applied:"));
  CHECK(contains(imported.out,
                 "done create computer group Alle Computer/Server \xC3\x9C"
                 "berall/Web"));
  CHECK(contains(imported.out, "done accept the licence agreement of update " + kU3 + " revision 3"));
  CHECK(contains(imported.out, "done decline update " + kU4 + " revision 1"));
  json offline = read_server(servers.offline);
  CHECK(shape_of(offline) == shape_of(read_server(servers.connected)));
  // The built-in groups were matched by id, never created again under their English names.
  CHECK(offline["groups"].size() == 5);

  auto again = import_with(scene, servers);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "approvals: nothing to change"));
  CHECK(
      contains(again.out, "5 approval(s) and 1 decline(s) of 5 computer group(s) stated; 6 already so here"));
  json after = read_server(servers.offline);
  CHECK(after["groups"] == offline["groups"]);
  CHECK(after["updates"] == offline["updates"]);
  // The second run only read: no call after the first run's changes anything.
  REQUIRE(after["calls"].size() > offline["calls"].size());
  for (std::size_t i = offline["calls"].size(); i < after["calls"].size(); ++i) {
    std::string name = after["calls"][i];
    CHECK_FALSE((name.find("Approve") != std::string::npos || name.find("Decline") != std::string::npos ||
                 name.find("Create") != std::string::npos || name.find("Delete") != std::string::npos));
  }

  auto status = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(contains(status.out, "approvals #000001 applied"));
  CHECK(contains(status.out, "approvals #000001 nothing to change"));
}

TEST_CASE(
    "a settings mismatch refuses the import before anything changes, naming the setting and both values") {
  Scenario scene("approvals-settings", 4);
  json offline = offline_server();
  offline["configuration"]["download_express_packages"] = true;
  offline["configuration"]["enabled_update_languages"] = {"en"};
  auto servers = write_servers(scene, connected_server(), offline);
  REQUIRE(export_with(scene, servers).exit_code == 0);
  auto before = read_server(servers.offline);
  auto imported = import_with(scene, servers);
  CHECK(imported.exit_code == 10);
  CHECK(contains(
      imported.err,
      "DownloadExpressPackages (download express installation files) is false on the connected server "
      "and true on this one"));
  CHECK(contains(imported.err,
                 "update language \"de\" is downloaded by the connected server (languages: de, en) "
                 "and not by this one (languages: en)"));
  CHECK(contains(imported.err, "nothing was changed"));
  auto after = read_server(servers.offline);
  CHECK(shape_of(after) == shape_of(before));
  CHECK(after["groups"].size() == before["groups"].size());
  REQUIRE(after.contains("calls"));
  for (const auto& call : after["calls"]) {
    std::string name = call;
    CHECK_FALSE((contains(name, "Approve") || contains(name, "Decline") || contains(name, "Create") ||
                 contains(name, "Delete") || contains(name, "Accept")));
  }
  CHECK(snapshot(scene.offline()).empty());  // not even content was placed

  json replica = offline_server();
  replica["configuration"]["is_replica_server"] = true;
  write_file(servers.offline, replica.dump());
  auto refused = import_with(scene, servers);
  CHECK(refused.exit_code == 10);
  CHECK(contains(refused.err, "IsReplicaServer is true on this server"));
}

TEST_CASE("an approval whose licence file is not in WsusContent is a gap: named, exit 5, not approved") {
  Scenario scene("approvals-eula", 4);
  auto servers = write_servers(scene, connected_server(), offline_server());
  REQUIRE(export_with(scene, servers).exit_code == 0);
  auto imported = import_with(scene, servers);
  INFO(imported.out << imported.err);
  CHECK(imported.exit_code == 5);
  CHECK(contains(imported.out,
                 "approvals: 1 approval(s) held back, their licence (EULA) file is not in WsusContent"));
  CHECK(contains(imported.out, "gap update " + kU3 +
                                   " revision 3: Install for Alle Computer/Server \xC3\x9C"
                                   "berall/Web: not approved, its licence file " +
                                   kEulaPath + " is not in WsusContent"));
  json offline = read_server(servers.offline);
  for (const auto& u : offline["updates"]) {
    if (u["update_id"] == kU3) {
      CHECK(u["approvals"].empty());
      CHECK(u["license_accepted"] == false);
    }
  }
  auto json_run = import_with(scene, servers, {"--json"});
  json document = json::parse(json_run.out);
  CHECK(document["approvals"]["eula_gap_files"] == json::array({kEulaPath}));

  place_eula(scene);
  auto again = import_with(scene, servers);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(shape_of(read_server(servers.offline)) == shape_of(read_server(servers.connected)));
}

TEST_CASE(
    "approvals made by hand on the offline server are drift: listed and kept, removed with "
    "--approvals-mirror") {
  Scenario scene("approvals-drift", 4);
  json offline = offline_server();
  offline["groups"].push_back(
      {{"id", "44444444-4444-4444-8444-444444444444"}, {"name", "Lab"}, {"parent_id", kAll}});
  offline["updates"][1]["approvals"] =
      json::array({approval("44444444-4444-4444-8444-444444444444", "Install")});
  auto servers = write_servers(scene, connected_server(), offline);
  REQUIRE(export_with(scene, servers).exit_code == 0);
  place_eula(scene);
  auto imported = import_with(scene, servers, {"--new-ledger"});
  INFO(imported.out << imported.err);
  CHECK(imported.exit_code == 0);
  CHECK(
      contains(imported.out, "approvals: 1 made on this server and not stated by the package (drift, kept"));
  CHECK(contains(imported.out, "drift update " + kU2 +
                                   " revision 7: Install for Alle Computer/Lab (made on this server; kept)"));
  auto kept = read_server(servers.offline);
  CHECK(kept["updates"][1]["approvals"].size() == 2);

  auto mirrored = import_with(scene, servers, {"--approvals-mirror"});
  INFO(mirrored.out << mirrored.err);
  CHECK(mirrored.exit_code == 0);
  CHECK(contains(mirrored.out,
                 "done remove approval update " + kU2 + " revision 7: Install for Alle Computer/Lab"));
  CHECK(shape_of(read_server(servers.offline)).approvals ==
        shape_of(read_server(servers.connected)).approvals);
}

TEST_CASE(
    "an apply the API stops halfway reports what was applied and what was not, and a re-run completes it") {
  Scenario scene("approvals-halfway", 4);
  json offline = offline_server();
  offline["faults"] = json::array({{{"member", "IUpdate.Approve"},
                                    {"call", 2},
                                    {"exception", "WebException"},
                                    {"message", "The operation has timed out"}}});
  auto servers = write_servers(scene, connected_server(), offline);
  REQUIRE(export_with(scene, servers).exit_code == 0);
  place_eula(scene);
  auto imported = import_with(scene, servers, {"--new-ledger"});
  INFO(imported.out << imported.err);
  CHECK(imported.exit_code == 1);
  CHECK(contains(imported.out, "approvals: 5 of 10 change(s) applied:"));
  CHECK(contains(imported.out,
                 "approvals: stopped, 5 change(s) NOT applied (run the import again to finish them)"));
  CHECK(contains(imported.out, "The operation has timed out"));
  CHECK(contains(imported.out, "not done decline update " + kU4));

  auto status = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(contains(status.out, "approvals #000001 partly applied"));

  json cleared = read_server(servers.offline);
  cleared["faults"] = json::array();
  write_file(servers.offline, cleared.dump());
  auto again = import_with(scene, servers);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "approvals: 5 of 5 change(s) applied:"));
  CHECK(shape_of(read_server(servers.offline)) == shape_of(read_server(servers.connected)));
}

TEST_CASE(
    "import --approvals plan prints the changes and changes nothing, and export --approvals skip carries "
    "none") {
  Scenario scene("approvals-plan", 4);
  auto servers = write_servers(scene, connected_server(), offline_server());
  REQUIRE(export_with(scene, servers).exit_code == 0);
  place_eula(scene);
  auto before = read_server(servers.offline);
  auto planned = import_with(scene, servers, {"--new-ledger", "--approvals", "plan"});
  INFO(planned.out << planned.err);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.out, "approvals: would make 10 change(s) (--approvals plan: nothing changed):"));
  CHECK(contains(planned.out, "would approve update " + kU1 +
                                  " revision 201: Install, deadline 2026-12-24T18:30:00Z for Alle Computer"));
  auto after = read_server(servers.offline);
  CHECK(shape_of(after) == shape_of(before));
  CHECK(after["groups"].size() == before["groups"].size());

  set_env("WSUS_STANDIN_SERVER", servers.connected.string());
  auto without = scene.export_package({"--approvals", "skip"});
  INFO(without.out << without.err);
  REQUIRE(without.exit_code == 0);
  CHECK(contains(without.out, "approvals: not carried (--approvals skip)"));
  CHECK_FALSE(fs::exists(scene.package(2) / "approvals.json"));
  CHECK(json::parse(read_file(scene.package(2) / "manifest.json"))["approvals"].is_null());
}

TEST_CASE("an approvals.json the signed manifest does not pin is refused before anything changes (exit 3)") {
  Scenario scene("approvals-unpinned", 4);
  auto servers = write_servers(scene, connected_server(), offline_server());
  set_env("WSUS_STANDIN_SERVER", servers.connected.string());
  REQUIRE(scene.export_package({"--approvals", "skip"}).exit_code == 0);
  write_file(scene.package(1) / "approvals.json", "{}");
  auto imported = import_with(scene, servers);
  CHECK(imported.exit_code == 3);
  CHECK(contains(imported.err,
                 "wsus-airgap-000001/approvals.json: is in the package folder, but the signed manifest "
                 "does not pin it"));
  CHECK(snapshot(scene.offline()).empty());
}
