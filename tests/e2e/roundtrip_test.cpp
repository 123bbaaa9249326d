// The round trip across the gap: export -> verify -> import with the simulated wsusutil, and every
// refusal the import enforces, each leaving the offline content folder exactly as it was.
#include <boost/filesystem/operations.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "manifest/keys.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "tests/support/catch.h"
#include "tests/support/manifest_edit.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

void flip_byte(const fs::path& file, std::uintmax_t offset) {
  std::fstream stream(file.string(), std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  stream.get(c);
  stream.seekp(static_cast<std::streamoff>(offset));
  stream.put(static_cast<char>(c ^ 0x5a));
}

}  // namespace

TEST_CASE("a full round trip gives a byte-identical WsusContent and imports the metadata") {
  Scenario scene("roundtrip-full");
  auto exported = scene.export_package();
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(contains(exported.out, "Exported wsus-airgap-000001 (full)"));
  CHECK(fs::exists(scene.package(1) / "manifest.json"));
  CHECK(fs::exists(scene.package(1) / "signatures.json"));
  CHECK(fs::exists(scene.package(1) / "metadata.xml.gz"));

  auto verified = scene.verify_media();
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(contains(verified.out, "OK      wsus-airgap-000001"));

  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(contains(imported.out, "applied          wsus-airgap-000001"));
  CHECK(contains(imported.out, "metadata imported"));
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  CHECK(fs::exists(scene.root() / "offline" / "wsus-database.json"));
  CHECK_FALSE(fs::exists(scene.offline() / ".wsus-airgap-staging"));
}

TEST_CASE("importing the same package again is a no-op that says so") {
  Scenario scene("roundtrip-again");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  auto before = snapshot(scene.offline());
  auto again = scene.import_packages();
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "already applied  wsus-airgap-000001 (full): nothing to do"));
  CHECK(snapshot(scene.offline()) == before);
}

TEST_CASE("a package split over 3 volumes on 2 media folders round-trips") {
  Scenario scene("roundtrip-volumes", 16);
  auto exported = scene.export_package({"--volume-size", "256K", "--json"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto report = nlohmann::json::parse(exported.out);
  REQUIRE(report["volumes"].size() >= 3);
  // Every other volume goes on a second stick, in a package folder of the same name.
  fs::path second = scene.root() / "usb2";
  fs::create_directories(second / "wsus-airgap-000001");
  for (std::size_t i = 1; i < report["volumes"].size(); i += 2) {
    std::string name = report["volumes"][i];
    fs::rename(scene.package(1) / name, second / "wsus-airgap-000001" / name);
  }
  auto imported = scene.import_packages({"--media", second.string()});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
}

TEST_CASE("import refuses a package signed by an untrusted key and touches nothing") {
  Scenario scene("refuse-untrusted");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.keygen("stranger").exit_code == 0);
  auto imported = scene.airgap({"import", "--media", scene.media().string(), "--content",
                                scene.offline().string(), "--trust", scene.pub("stranger").string(),
                                "--state", scene.import_state().string(), "--no-metadata-import"});
  CHECK(imported.exit_code == 3);
  CHECK(contains(imported.err,
                 "wsus-airgap: error: wsus-airgap-000001: has 0 valid signature(s) by trusted keys"));
  CHECK(contains(imported.err, "--trust"));
  CHECK(snapshot(scene.offline()).empty());
}

TEST_CASE("import demands the threshold of distinct trusted signatures") {
  Scenario scene("refuse-threshold");
  REQUIRE(scene.keygen("second").exit_code == 0);
  REQUIRE(scene.export_package().exit_code == 0);
  auto one = scene.import_packages({"--trust", scene.pub("second").string(), "--threshold", "2"});
  CHECK(one.exit_code == 3);
  CHECK(contains(one.err, "1 valid signature(s) by trusted keys"));
  CHECK(contains(one.err, "2 required"));
  CHECK(snapshot(scene.offline()).empty());

  Scenario both("accept-threshold");
  REQUIRE(both.keygen("second").exit_code == 0);
  REQUIRE(both.export_package({"--key", both.key("second").string()}).exit_code == 0);
  auto two = both.import_packages({"--trust", both.pub("second").string(), "--threshold", "2"});
  INFO(two.err);
  CHECK(two.exit_code == 0);
}

TEST_CASE("a manifest altered after signing is refused with exit 3") {
  Scenario scene("refuse-tampered");
  REQUIRE(scene.export_package().exit_code == 0);
  std::string manifest = read_file(scene.package(1) / "manifest.json");
  auto at = manifest.find("\"sequence\": 1");
  REQUIRE(at != std::string::npos);
  manifest.replace(at, 13, "\"sequence\": 1 ");
  write_file(scene.package(1) / "manifest.json", manifest);
  auto imported = scene.import_packages();
  CHECK(imported.exit_code == 3);
  CHECK(contains(imported.err, "does not match the manifest: the manifest was altered after signing"));
  CHECK(snapshot(scene.offline()).empty());
}

TEST_CASE("a missing or damaged volume is named and nothing is placed") {
  Scenario scene("refuse-volume", 16);
  REQUIRE(scene.export_package({"--volume-size", "256K"}).exit_code == 0);
  fs::path volume = scene.package(1) / "content.tar.001";
  REQUIRE(fs::exists(volume));

  flip_byte(volume, 1000);
  auto damaged = scene.import_packages();
  CHECK(damaged.exit_code == 3);
  CHECK(contains(damaged.err, "content.tar.001: volume does not match its SHA-256 in the signed manifest"));
  CHECK(snapshot(scene.offline()).empty());

  fs::remove(volume);
  auto missing = scene.import_packages();
  CHECK(missing.exit_code == 3);
  CHECK(contains(missing.err,
                 "wsus-airgap-000001/content.tar.001: volume is missing from every media folder given"));
  CHECK(snapshot(scene.offline()).empty());

  auto verified = scene.verify_media();
  CHECK(verified.exit_code == 3);
  CHECK(contains(verified.out, "FAILED  wsus-airgap-000001"));
}

TEST_CASE("import refuses a replay, names the missing sequences of a gap, and refuses a broken chain") {
  Scenario scene("refuse-order");
  REQUIRE(scene.export_package().exit_code == 0);  // 1
  REQUIRE(scene.export_package().exit_code == 0);  // 2
  REQUIRE(scene.export_package().exit_code == 0);  // 3
  // The offline side received only 1 and 3: a gap.
  fs::path held = scene.root() / "held-back";
  fs::rename(scene.package(2), held);
  auto gap = scene.import_packages();
  CHECK(gap.exit_code == 4);
  CHECK(contains(gap.err, "wsus-airgap-000003: leaves a gap: last applied is 1, missing sequences 2"));
  CHECK(snapshot(scene.offline()).empty());  // order is checked before anything is applied

  fs::rename(held, scene.package(2));
  REQUIRE(scene.import_packages().exit_code == 0);

  // Replaying 2 alone after 3 was applied.
  fs::path old = scene.root() / "old-media";
  fs::create_directories(old);
  fs::rename(scene.package(2), old / "wsus-airgap-000002");
  auto replay =
      scene.airgap({"import", "--media", old.string(), "--content", scene.offline().string(), "--trust",
                    scene.pub().string(), "--state", scene.import_state().string(), "--no-metadata-import"});
  CHECK(replay.exit_code == 4);
  CHECK(contains(replay.err, "wsus-airgap-000002: is a replay: sequence 2 is not newer than 3"));

  // A package 4 whose previous hash is not package 3's manifest.
  REQUIRE(scene.export_package().exit_code == 0);
  resign_manifest(scene, 4, [](auto& m) { m.previous_manifest_sha256 = std::string(64, 'a'); });
  auto broken = scene.import_packages();
  CHECK(broken.exit_code == 4);
  CHECK(contains(broken.err, "wsus-airgap-000004: breaks the chain"));
}

TEST_CASE("an expired package is refused with exit 4") {
  Scenario scene("refuse-expired");
  REQUIRE(scene.export_package({"--expires-in-days", "30"}).exit_code == 0);
  resign_manifest(scene, 1, [](auto& m) {
    m.created_utc = "2019-12-01T00:00:00Z";
    m.expires_utc = "2020-01-01T00:00:00Z";
  });
  auto imported = scene.import_packages();
  CHECK(imported.exit_code == 4);
  CHECK(contains(imported.err, "wsus-airgap-000001: expired at 2020-01-01T00:00:00Z"));
  CHECK(snapshot(scene.offline()).empty());
}

TEST_CASE("a failing wsusutil import ends with exit 6, its log's error lines, and the ledger says so") {
  Scenario scene("wsusutil-import-fails");
  REQUIRE(scene.export_package().exit_code == 0);
  set_env("WSUSUTIL_SIM_FAIL", "exit");
  auto imported = scene.import_packages();
  CHECK(imported.exit_code == 6);
  CHECK(contains(imported.err, "wsus-airgap: error: wsusutil import: failed (exit code"));
  CHECK(contains(imported.err, "Import failed: the simulator was asked to fail"));
  // Content came first and stays: it is valid whatever wsusutil did.
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
  set_env("WSUSUTIL_SIM_FAIL", "");
  auto status = scene.airgap({"status", "--state", scene.import_state().string()});
  CHECK(contains(status.out, "wsusutil-failed"));
}

TEST_CASE("a zero-byte metadata export stops the export before anything is written") {
  Scenario scene("export-zero-byte");
  set_env("WSUSUTIL_SIM_FAIL", "zero-byte");
  auto exported = scene.export_package();
  CHECK(exported.exit_code == 6);
  CHECK(contains(exported.err, "is empty (0 bytes)"));
  CHECK(fs::is_empty(scene.media()));
}

TEST_CASE("export refuses source files whose bytes do not match their SHA-1 name unless told to skip them") {
  Scenario scene("export-mismatched", 12, {"--corrupt", "1"});
  auto refused = scene.export_package();
  CHECK(refused.exit_code == 3);
  CHECK(contains(refused.err, "1 file(s) do not match their SHA-1 names"));
  CHECK(contains(refused.err, "--skip-mismatched"));
  CHECK(fs::is_empty(scene.media()));

  auto skipped = scene.export_package({"--skip-mismatched"});
  INFO(skipped.err);
  CHECK(skipped.exit_code == 0);
  CHECK(contains(skipped.err, "does not match its SHA-1 name; not exported"));
}

TEST_CASE("a second run on the same ledger is refused while the first holds the lock") {
  Scenario scene("lock-held");
  // Once the first export has its metadata (and holds the lock), the hook runs a second one.
  fs::path second_err = scene.root() / "second.err";
  fs::path hook = test_program(scene.root() / "second-export.json", "metadata-exported",
                               {{"run", second_err.string(), (scene.root() / "second.rc").string(),
                                 airgap_binary().string(), "export", "--content", scene.connected().string(),
                                 "--media", scene.media().string(), "--key", scene.key().string(), "--state",
                                 scene.export_state().string(), "--wsusutil", simulator_binary().string()}});
  set_env("WSUS_AIRGAP_TEST_HOOK", hook.string());
  auto first = scene.export_package();
  set_env("WSUS_AIRGAP_TEST_HOOK", "");
  CHECK(read_file(scene.root() / "second.rc") == "1\n");
  CHECK(
      contains(read_file(second_err), "export-ledger.sqlite.lock: another wsus-airgap run holds this lock"));
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(fs::exists(scene.package(1) / "manifest.json"));
  CHECK_FALSE(fs::exists(scene.package(2)));
}

TEST_CASE(
    "an import that finds what a killed run left (a staging file, half the files placed) ends "
    "byte-identical") {
  Scenario scene("leftovers-of-a-kill");
  REQUIRE(scene.export_package().exit_code == 0);
  // What a run killed during placement leaves: some files already renamed into XX/, one half-written
  // file in the staging folder (never in XX/ itself).
  auto connected = snapshot(scene.connected());
  std::size_t copied = 0;
  for (const auto& [path, sha] : connected) {
    if (copied++ % 2 != 0) continue;
    fs::create_directories((scene.offline() / path).parent_path());
    fs::copy_file(scene.connected() / path, scene.offline() / path);
  }
  write_file(scene.offline() / ".wsus-airgap-staging" / "half-written.partial", "not all of it");

  // The ledger the killed run had created is not simulated: say that a new one is meant.
  auto imported = scene.import_packages({"--json", "--new-ledger"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto report = nlohmann::json::parse(imported.out);
  CHECK(report["packages"][0]["files_already_present"] == (connected.size() + 1) / 2);
  CHECK(snapshot(scene.offline()) == connected);
  CHECK_FALSE(fs::exists(scene.offline() / ".wsus-airgap-staging"));
}
