// Mirror semantics on import: /E by default (never delete), --mirror like /MIR but guarded (quarantine,
// --purge, --max-delete, --dry-run, the empty-source refusal, files the metadata still references),
// and the receipt and content request written after an import.
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <fstream>

#include "common/digest.h"
#include "manifest/receipt.h"
#include "manifest/trust.h"
#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// Month 1 carries the generated tree plus three files no catalog entry names; month 2 is exported
// after the connected server dropped those three (and, with `add_new`, gained one new file).
struct TwoMonths {
  std::vector<std::string> dropped;                   // sorted
  std::map<std::string, std::string> dropped_sha256;  // path -> SHA-256 of its bytes
  std::string added;
};

TwoMonths make_two_months(Scenario& scene, bool add_new = false) {
  TwoMonths months;
  for (unsigned seed : {101u, 102u, 103u})
    months.dropped.push_back(add_unreferenced_file(scene.connected(), seed));
  std::sort(months.dropped.begin(), months.dropped.end());
  auto exported = scene.export_package();
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  REQUIRE(snapshot(scene.offline()) == snapshot(scene.connected()));
  for (const auto& path : months.dropped) {
    months.dropped_sha256[path] = wsa::sha256_file(scene.connected() / path).value();
    fs::remove(scene.connected() / path);
  }
  if (add_new) months.added = add_unreferenced_file(scene.connected(), 200);
  auto second = scene.export_package();
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  return months;
}

std::string ledger_id(const Scenario& scene) {
  auto status = scene.airgap({"status", "--state", scene.import_state().string(), "--json"});
  REQUIRE(status.exit_code == 0);
  return parse_json(status)["ledger_id"];
}

}  // namespace

TEST_CASE("import without --mirror keeps the files the connected side removed, like robocopy /E") {
  Scenario scene("mirror-default-keeps");
  auto months = make_two_months(scene);
  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  for (const auto& path : months.dropped) CHECK(fs::exists(scene.offline() / path));
  auto offline = snapshot(scene.offline());
  for (const auto& path : months.dropped) offline.erase(path);
  CHECK(offline == snapshot(scene.connected()));
  CHECK_FALSE(fs::exists(scene.root() / "offline" / "wsus-airgap-quarantine"));
}

TEST_CASE("import --mirror moves the dropped files into a quarantine beside WsusContent, bytes unchanged") {
  Scenario scene("mirror-quarantine");
  auto months = make_two_months(scene);
  auto imported = scene.import_packages({"--mirror", "--json"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto report = parse_json(imported);
  CHECK(strings(report["mirror"]["quarantined"]) == months.dropped);
  CHECK(report["mirror"]["deleted"].empty());
  CHECK(report["mirror"]["kept"].empty());
  CHECK(report["mirror"]["package"] == "wsus-airgap-000002");
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));

  // <content>/../wsus-airgap-quarantine/<UTC stamp>-000002/XX/<SHA1>.cab
  fs::path quarantine = report["mirror"]["quarantine"].get<std::string>();
  CHECK(quarantine.parent_path() == scene.root() / "offline" / "wsus-airgap-quarantine");
  std::string stamp = quarantine.filename().string();
  CHECK(stamp.size() == std::string("20260101T000000Z-000002").size());
  CHECK(stamp.ends_with("Z-000002"));
  auto held = snapshot(quarantine);
  CHECK(held == months.dropped_sha256);
}

TEST_CASE("import --mirror says in words how many files it moved and where") {
  Scenario scene("mirror-human");
  make_two_months(scene);
  auto imported = scene.import_packages({"--mirror"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(contains(imported.out, "mirror: moved 3 file(s)"));
  CHECK(contains(imported.out, "the export server no longer has into"));
  CHECK(contains(imported.out, "wsus-airgap-quarantine"));
}

TEST_CASE("import --mirror --purge deletes the dropped files for good and makes no quarantine") {
  Scenario scene("mirror-purge");
  auto months = make_two_months(scene);
  auto imported = scene.import_packages({"--mirror", "--purge", "--json"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto report = parse_json(imported);
  CHECK(strings(report["mirror"]["deleted"]) == months.dropped);
  CHECK(report["mirror"]["quarantined"].empty());
  CHECK(report["mirror"]["quarantine"].is_null());
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  CHECK_FALSE(fs::exists(scene.root() / "offline" / "wsus-airgap-quarantine"));
}

TEST_CASE("import --mirror stops with exit 7 before changing anything when more than --max-delete would go") {
  Scenario scene("mirror-max-delete");
  make_two_months(scene, true);
  auto before = snapshot(scene.offline());
  auto refused = scene.import_packages({"--mirror", "--max-delete", "2"});
  CHECK(refused.exit_code == 7);
  CHECK(contains(refused.err,
                 "wsus-airgap: error: wsus-airgap-000002: --mirror would remove 3 content file(s), more "
                 "than --max-delete 2 allows; nothing was imported or deleted"));
  CHECK(contains(refused.err, "raise --max-delete to at least 3"));
  CHECK(snapshot(scene.offline()) == before);

  // The dry run the hint suggests lists all three and says a real run would stop.
  auto dry = scene.import_packages({"--mirror", "--max-delete", "2", "--dry-run", "--json"});
  CHECK(dry.exit_code == 7);
  auto report = parse_json(dry);
  CHECK(report["mirror"]["would_remove"].size() == 3);
  CHECK(contains(report["mirror"]["refusal"].get<std::string>(), "more than --max-delete 2 allows"));
  CHECK(snapshot(scene.offline()) == before);

  auto allowed = scene.import_packages({"--mirror", "--max-delete", "3"});
  INFO(allowed.err);
  CHECK(allowed.exit_code == 0);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
}

TEST_CASE("import --mirror --dry-run lists what it would place and remove and changes nothing") {
  Scenario scene("mirror-dry-run");
  auto months = make_two_months(scene, true);
  auto before = snapshot(scene.offline());
  auto dry = scene.import_packages({"--mirror", "--dry-run", "--json"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  auto report = parse_json(dry);
  CHECK(strings(report["mirror"]["would_remove"]) == months.dropped);
  CHECK(report["mirror"]["quarantined"].empty());
  CHECK(strings(report["would_place"]) == std::vector<std::string>{months.added});
  CHECK(report["packages"].back()["result"] == "would apply");
  CHECK(snapshot(scene.offline()) == before);
  CHECK_FALSE(fs::exists(scene.root() / "offline" / "wsus-airgap-quarantine"));

  auto human = scene.import_packages({"--mirror", "--dry-run"});
  CHECK(contains(human.out, "would place 1 content file(s):"));
  CHECK(contains(human.out, "mirror: would quarantine 3 file(s)"));
  CHECK(snapshot(scene.offline()) == before);
}

TEST_CASE(
    "a mirror import of an empty inventory is refused as suspicious with exit 7 unless --force-mirror") {
  Scenario scene("mirror-empty-source");
  std::vector<std::string> extras;
  for (unsigned seed : {301u, 302u}) extras.push_back(add_unreferenced_file(scene.connected(), seed));
  std::sort(extras.begin(), extras.end());
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  auto catalog_files = content_paths(scene.connected());
  std::erase_if(catalog_files, [&](const std::string& p) { return std::ranges::count(extras, p) != 0; });
  // The connected store is emptied (a wrong --content, a failed disk): its export lists nothing.
  fs::remove_all(scene.connected());
  fs::create_directories(scene.connected());
  auto exported = scene.export_package({"--allow-empty"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto before = snapshot(scene.offline());

  auto refused = scene.import_packages({"--mirror"});
  CHECK(refused.exit_code == 7);
  CHECK(
      contains(refused.err, "wsus-airgap-000002: its inventory lists 0 file(s) but this WsusContent holds " +
                                std::to_string(before.size())));
  CHECK(contains(refused.err, "--mirror refuses it as suspicious; nothing was imported or deleted"));
  CHECK(contains(refused.err, "--force-mirror"));
  CHECK(snapshot(scene.offline()) == before);

  // Forced, it removes only what the metadata no longer references: the catalog's files stay.
  auto forced = scene.import_packages({"--mirror", "--force-mirror", "--json"});
  INFO(forced.err);
  REQUIRE(forced.exit_code == 0);
  auto report = parse_json(forced);
  CHECK(strings(report["mirror"]["quarantined"]) == extras);
  CHECK(strings(report["mirror"]["kept"]) == catalog_files);
  CHECK(content_paths(scene.offline()) == catalog_files);
}

TEST_CASE("a mirror import keeps a dropped file that the package's metadata still references") {
  Scenario scene("mirror-keeps-referenced");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  std::string referenced = content_paths(scene.connected()).front();
  std::string unreferenced = add_unreferenced_file(scene.connected(), 401);
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  fs::remove(scene.connected() / referenced);
  fs::remove(scene.connected() / unreferenced);
  REQUIRE(scene.export_package().exit_code == 0);

  auto imported = scene.import_packages({"--mirror", "--json"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto report = parse_json(imported);
  CHECK(strings(report["mirror"]["kept"]) == std::vector<std::string>{referenced});
  CHECK(strings(report["mirror"]["quarantined"]) == std::vector<std::string>{unreferenced});
  CHECK(fs::exists(scene.offline() / referenced));
  CHECK_FALSE(fs::exists(scene.offline() / unreferenced));

  auto again_human = scene.import_packages({"--mirror"});
  CHECK(again_human.exit_code == 0);
  CHECK(contains(again_human.out, "mirror: nothing to remove"));
}

TEST_CASE("import --mirror after the newest package was applied with /E mirrors to it, like robocopy /MIR") {
  Scenario scene("mirror-when-asked");
  auto months = make_two_months(scene);
  auto plain = scene.import_packages();  // month 2 applied with /E: the dropped files stay
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  for (const auto& path : months.dropped) REQUIRE(fs::exists(scene.offline() / path));

  auto mirrored = scene.import_packages({"--mirror", "--json"});
  INFO(mirrored.err);
  REQUIRE(mirrored.exit_code == 0);
  auto report = parse_json(mirrored);
  CHECK(report["packages"].back()["result"] == "already applied");
  CHECK(report["mirror"]["package"] == "wsus-airgap-000002");
  CHECK(strings(report["mirror"]["quarantined"]) == months.dropped);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));

  auto status = parse_json(scene.airgap({"status", "--state", scene.import_state().string(), "--json"}));
  const auto& last = status["runs"].back();
  CHECK(last["mode"] == "mirror");
  CHECK(last["status"] == "succeeded");
  CHECK(contains(last["message"].get<std::string>(), "mirrored: 3 file(s) quarantined"));
}

TEST_CASE("a mirror that fails halfway is recorded as failed, and import --mirror again finishes it") {
  Scenario scene("mirror-fails-halfway");
  auto months = make_two_months(scene);
  REQUIRE(scene.import_packages().exit_code == 0);
  // The quarantine cannot take the second file: a folder squats where its folder must go.
  fs::path quarantine_parent = scene.root() / "offline" / "wsus-airgap-quarantine";
  fs::create_directories(quarantine_parent);
  auto blocked = scene.import_packages({"--mirror", "--max-delete", "1"});
  CHECK(blocked.exit_code == 7);  // more than --max-delete: refused before anything changed
  for (const auto& path : months.dropped) CHECK(fs::exists(scene.offline() / path));

  // Make the quarantine root a file: every move into it fails after the run is recorded.
  fs::remove_all(quarantine_parent);
  { std::ofstream squat(quarantine_parent.string()); }
  auto failed = scene.import_packages({"--mirror"});
  INFO(failed.err);
  CHECK(failed.exit_code == 1);
  CHECK(contains(failed.err, "cannot move into"));
  auto status = parse_json(scene.airgap({"status", "--state", scene.import_state().string(), "--json"}));
  CHECK(status["runs"].back()["mode"] == "mirror");
  CHECK(status["runs"].back()["status"] == "failed");

  fs::remove(quarantine_parent);
  auto retried = scene.import_packages({"--mirror", "--json"});
  INFO(retried.err);
  REQUIRE(retried.exit_code == 0);
  CHECK(strings(parse_json(retried)["mirror"]["quarantined"]) == months.dropped);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
}

TEST_CASE("mirror options without --mirror are a usage error that names the option") {
  Scenario scene("mirror-usage");
  REQUIRE(scene.export_package().exit_code == 0);
  auto purge = scene.import_packages({"--purge"});
  CHECK(purge.exit_code == 2);
  CHECK(contains(purge.err, "--purge: only applies with --mirror"));
  auto cap = scene.import_packages({"--max-delete", "10"});
  CHECK(cap.exit_code == 2);
  CHECK(contains(cap.err, "--max-delete: only applies with --mirror"));
  CHECK(snapshot(scene.offline()).empty());
}

TEST_CASE("import writes a receipt onto the media and to --receipt-out, signed with --receipt-key") {
  Scenario scene("receipt-signed");
  REQUIRE(scene.keygen("offline").exit_code == 0);
  REQUIRE(scene.export_package().exit_code == 0);
  fs::path out = scene.root() / "receipt-copy.json";
  auto imported = scene.import_packages(
      {"--receipt-out", out.string(), "--receipt-key", scene.key("offline").string(), "--json"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);

  std::string id = ledger_id(scene);
  fs::path on_media = scene.media() / ("wsus-airgap-receipt-" + id.substr(0, 8) + "-000001.json");
  REQUIRE(fs::exists(on_media));
  CHECK(read_file(out) == read_file(on_media));
  auto report = parse_json(imported);
  CHECK(report["receipts"].size() == 2);

  auto trust = wsa::manifest::TrustStore::load({scene.pub("offline")}).value();
  auto receipt = wsa::manifest::parse_receipt(read_file(on_media), on_media.string(), &trust);
  INFO((receipt ? std::string() : receipt.error().message()));
  REQUIRE(receipt.has_value());
  CHECK(receipt->offline_ledger_id == id);
  CHECK(receipt->applied_sequence == 1);
  CHECK(receipt->applied_this_run == std::vector<std::uint64_t>{1});
  CHECK(receipt->applied_manifest_sha256 == wsa::sha256_file(scene.package(1) / "manifest.json").value());
  CHECK(receipt->missing.empty());
  std::string listing;
  std::uint64_t bytes = 0;
  auto files = content_paths(scene.offline());
  for (const auto& path : files) {
    auto size = fs::file_size(scene.offline() / path);
    listing += path + "\t" + std::to_string(size) + "\n";
    bytes += size;
  }
  CHECK(receipt->content_digest == wsa::sha256_hex(listing));
  CHECK(receipt->content_files == files.size());
  CHECK(receipt->content_bytes == bytes);

  // Another key's trust refuses it: the signature is what makes it the offline server's word.
  REQUIRE(scene.keygen("stranger").exit_code == 0);
  auto other = wsa::manifest::TrustStore::load({scene.pub("stranger")}).value();
  auto refused = wsa::manifest::parse_receipt(read_file(on_media), on_media.string(), &other);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == wsa::ExitCode::kIntegrity);
}

TEST_CASE("import --request-out lists exactly the files still missing, with the updates that need them") {
  Scenario scene("request-missing");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  // Two files vanish on the offline side; month 2 does not carry them (they were shipped already).
  auto paths = content_paths(scene.offline());
  std::vector<std::string> lost = {paths[0], paths[1]};
  for (const auto& path : lost) fs::remove(scene.offline() / path);
  add_unreferenced_file(scene.connected(), 501);
  REQUIRE(scene.export_package().exit_code == 0);

  fs::path request_file = scene.root() / "request.json";
  auto imported = scene.import_packages({"--request-out", request_file.string(), "--json"});
  CHECK(imported.exit_code == 5);
  auto report = parse_json(imported);
  CHECK(strings(report["missing"]) == lost);
  REQUIRE(report["missing_files"].size() == 2);
  CHECK(report["missing_files"][0]["reason"] == "missing");
  CHECK_FALSE(report["missing_files"][0]["title"].get<std::string>().empty());

  auto request = wsa::manifest::parse_request(read_file(request_file), request_file.string());
  REQUIRE(request.has_value());
  std::vector<std::string> requested;
  for (const auto& file : request->files) requested.push_back(file.path);
  CHECK(requested == lost);
  CHECK_FALSE(request->files[0].update_id.empty());
}
