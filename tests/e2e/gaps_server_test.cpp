// End-to-end tests of `wsus-airgap gaps --server` through the product's real launching path: the
// embedded wsus/powershell/failed-updates.ps1 is written to a temp folder and started with
// -NoProfile -NonInteractive -ExecutionPolicy Bypass -File, as on a WSUS server. Only the program
// differs (--powershell: tests/pwsh-host, PowerShell's console host), and the script finds the
// stand-in WSUS API (tests/wsus-api) through its own LoadWithPartialName line.

#include <boost/filesystem/operations.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/catalog.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"
#include "wsus/live_server.h"

namespace {

using namespace wsa;
using namespace wsa::test;
using nlohmann::json;

json stand_in_update(const CatalogFile& file, const std::string& state,
                     const std::vector<CatalogFile>& files) {
  json listed = json::array();
  for (const auto& entry : files) listed.push_back(failed_update_file(entry));
  return {{"update_id", file.update_id},
          {"revision", 200},
          {"title", file.title},
          {"kb", json::array({file.kb})},
          {"state", state},
          {"installable_items",
           json::array({{{"id", "c1c1c1c1-0000-4000-8000-000000000001"}, {"files", listed}}})}};
}

// Writes the stand-in server and points the PowerShell host at it and at the stand-in API.
fs::path serve(const Scenario& scene, const json& server, bool api_installed = true) {
  fs::path file = scene.root() / "wsus-server.json";
  write_file(file, server.dump(2));
  set_env("WSUS_STANDIN_SERVER", file.string());
  set_env("WSUS_STANDIN_API_DIR", api_installed ? WSUS_STANDIN_API_DIR : "");
  return file;
}

RunResult gaps_server(const Scenario& scene, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"gaps",           "--server",  "--powershell",
                                   PWSH_HOST_BINARY, "--content", scene.connected().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return scene.airgap(args);
}

}  // namespace

TEST_CASE(
    "gaps --server runs the embedded script through PowerShell, names the failed updates by KB and title, "
    "writes the request and exits 5") {
  Scenario scene("gaps-server-ps", 12, {"--missing", "1"});
  auto files = catalog_files(scene);
  CatalogFile missing, present;
  for (const auto& file : files) {
    if (!fs::exists(scene.connected() / file.path)) missing = file;
  }
  for (const auto& file : files) {
    if (present.path.empty() && file.update_id != missing.update_id) present = file;
  }
  REQUIRE_FALSE(missing.path.empty());
  // The update that lost a file, one the server still marks Failed though its file has arrived since,
  // and a Ready one (not asked about).
  fs::path server_file =
      serve(scene, {{"updates", json::array({stand_in_update(missing, "Failed", {missing}),
                                             stand_in_update(present, "Failed", {present}),
                                             stand_in_update(files.back(), "Ready", {})})}});
  fs::path request = scene.root() / "request.json";
  auto result = gaps_server(scene, {"--request-out", request.string()});
  INFO(result.err);
  CHECK(result.exit_code == 5);
  // The summary says first what was read, so a reader that understood nothing cannot look clean.
  CHECK(result.out.starts_with("Read "));
  CHECK(result.out.find(" from WSUS server") != std::string::npos);
  CHECK(result.out.find("\nKB" + missing.kb) != std::string::npos);
  CHECK(result.out.find(missing.title + " (" + missing.update_id + ")") != std::string::npos);
  CHECK(result.out.find(missing.path) != std::string::npos);
  CHECK(result.out.find(present.title) == std::string::npos);
  CHECK(result.out.find("1 of 2 content files missing or damaged, needed by 1 of 2 updates") !=
        std::string::npos);

  json written = json::parse(read_file(request));
  REQUIRE(written["files"].size() == 1);
  CHECK(written["files"][0]["path"] == missing.path);
  CHECK(written["files"][0]["update_id"] == missing.update_id);
  CHECK(written["files"][0]["kb"] == missing.kb);

  // The script really ran against the stand-in, and read only.
  json after = json::parse(read_file(server_file));
  CHECK(after["calls"] ==
        json::array({"AdminProxy.GetUpdateServer", "IUpdateServer.GetUpdates", "IUpdate.GetInstallableItems",
                     "IInstallableItem.GetInstallableItems", "IUpdate.GetInstallableItems",
                     "IInstallableItem.GetInstallableItems"}));

  auto as_json = gaps_server(scene, {"--json"});
  CHECK(as_json.exit_code == 5);
  json document = json::parse(as_json.out);
  CHECK(document["source"] == "server");
  CHECK(document["updates_with_gaps"] == 1);
  REQUIRE(document["updates"].size() == 1);
  CHECK(document["updates"][0]["update_id"] == missing.update_id);
  CHECK(document["updates"][0]["revision"] == 200);
  CHECK(document["updates"][0]["title"] == missing.title);
}

TEST_CASE("gaps --server through PowerShell exits 0 on a server with no failed update") {
  Scenario scene("gaps-server-ps-none", 4);
  auto files = catalog_files(scene);
  serve(scene, {{"updates", json::array({stand_in_update(files.front(), "Ready", {files.front()})})}});
  auto result = gaps_server(scene);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.starts_with("Read 0 updates and 0 content files from WSUS server"));
  CHECK(result.out.find("\nNo gaps: all 0 content files that 0 updates need") != std::string::npos);
}

TEST_CASE(
    "gaps --server through PowerShell reports what stopped the script, in its words, with a hint, exit 1") {
  Scenario scene("gaps-server-ps-fails", 4);
  serve(scene, {{"updates", json::array()}}, false);
  auto no_api = gaps_server(scene);
  CHECK(no_api.exit_code == 1);
  CHECK(no_api.err.find("exited with code 10; it said:\nfailed-updates.ps1: the WSUS administration API "
                        "(Microsoft.UpdateServices.Administration) is not installed on this computer") !=
        std::string::npos);
  CHECK(no_api.err.find("hint: install the WSUS console (Windows feature UpdateServices-UI)") !=
        std::string::npos);

  serve(scene, {{"caller_is_administrator", false}});
  auto denied = gaps_server(scene);
  CHECK(denied.exit_code == 1);
  CHECK(
      denied.err.find("exited with code 11; it said:\nfailed-updates.ps1: access denied by the WSUS server: "
                      "Request for principal permission failed.") != std::string::npos);
  CHECK(denied.err.find("hint: run from an elevated prompt as a member of the WSUS Administrators group") !=
        std::string::npos);

  serve(scene, {{"reachable", false}});
  auto unreachable = gaps_server(scene);
  CHECK(unreachable.exit_code == 1);
  CHECK(unreachable.err.find(
            "exited with code 12; it said:\nfailed-updates.ps1: cannot contact the WSUS server") !=
        std::string::npos);
  CHECK(unreachable.err.find("hint: check that the WSUS service and its IIS site") != std::string::npos);
}

TEST_CASE("the embedded failed-updates script is byte for byte wsus/powershell/failed-updates.ps1") {
  std::string file = read_file(fs::path(WSUS_POWERSHELL_DIR) / "failed-updates.ps1");
  CHECK(wsus::failed_updates_script() == file);
  CHECK(file.starts_with("# wsus-airgap: failed-updates.ps1\n# READ-ONLY:"));
}
