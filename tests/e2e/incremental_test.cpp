// Month after month: an incremental export carries only what changed, a receipt or a content request
// brings back what the offline side lost, and a killed export costs nothing but its own time.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "manifest/keys.h"
#include "manifest/receipt.h"
#include "manifest/transfer_manifest.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

json parse_json(const RunResult& result) {
  INFO(result.out);
  INFO(result.err);
  return json::parse(result.out);
}

// Canonical content path -> size of every file below a WsusContent folder.
std::map<std::string, std::uintmax_t> content_files(const fs::path& root) {
  std::map<std::string, std::uintmax_t> files;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (fs::is_regular_file(it->status()))
      files[fs::relative(it->path(), root).generic_string()] = fs::file_size(it->path());
  }
  return files;
}

// A second generated tree (another seed) from which "new downloads" are taken.
fs::path other_tree(const Scenario& scene) {
  fs::path other = scene.root() / "other" / "WsusContent";
  auto made = scene.sim({"generate", "--catalog", (scene.root() / "other" / "catalog.json").string(),
                         "--content", other.string(), "--seed", "99", "--updates", "8", "--max-size", "1M"});
  REQUIRE(made.exit_code == 0);
  return other;
}

// Copies the first `count` files of `other` that the connected tree lacks; returns path -> size.
std::map<std::string, std::uintmax_t> add_downloads(const Scenario& scene, const fs::path& other,
                                                    std::size_t count) {
  std::map<std::string, std::uintmax_t> added;
  auto present = content_files(scene.connected());
  for (const auto& [path, size] : content_files(other)) {
    if (added.size() == count) break;
    if (present.contains(path)) continue;
    fs::create_directories((scene.connected() / path).parent_path());
    fs::copy_file(other / path, scene.connected() / path);
    added[path] = size;
  }
  REQUIRE(added.size() == count);
  return added;
}

std::uintmax_t volume_bytes(const fs::path& package) {
  std::uintmax_t total = 0;
  for (fs::directory_iterator it(package), end; it != end; ++it) {
    if (it->path().filename().string().starts_with("content.tar.")) total += fs::file_size(it->path());
  }
  return total;
}

std::string manifest_sha256(const Scenario& scene, int sequence) {
  return wsa::sha256_hex(read_file(scene.package(sequence) / "manifest.json"));
}

std::string source_id(const Scenario& scene) {
  return wsa::manifest::parse_manifest(read_file(scene.package(1) / "manifest.json"), "m").value().source_id;
}

// The receipt an offline server would write after applying `sequence`.
wsa::manifest::Receipt receipt_for(const Scenario& scene, std::uint64_t sequence) {
  wsa::manifest::Receipt receipt;
  receipt.offline_ledger_id = "offline-ledger-1";
  receipt.offline_host = "OFFLINE";
  receipt.created_utc = "2026-11-25T08:00:00Z";
  receipt.source_id = source_id(scene);
  receipt.applied_sequence = sequence;
  receipt.applied_manifest_sha256 = manifest_sha256(scene, static_cast<int>(sequence));
  receipt.applied_this_run = {sequence};
  return receipt;
}

// A canonical content path no tree holds.
const std::string kAbsentPath = "EE/" + std::string(38, '0') + "EE.cab";

std::vector<std::string> json_strings(const json& value) {
  return value.get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE(
    "a second export carries only the added files, and importing both gives the connected tree plus the "
    "removed files") {
  Scenario scene("incremental-month2");
  auto month1 = scene.export_package({"--json"});
  INFO(month1.err);
  REQUIRE(month1.exit_code == 0);
  auto before = snapshot(scene.connected());

  fs::path other = other_tree(scene);
  auto added = add_downloads(scene, other, 5);
  auto files = content_files(scene.connected());
  // Replaced: one old file goes, one new file (counted in `added` below) comes; two more are removed.
  std::vector<std::string> removed;
  for (const auto& [path, size] : files) {
    if (!added.contains(path) && removed.size() < 3) removed.push_back(path);
  }
  for (const auto& path : removed) fs::remove(scene.connected() / path);
  auto replacement = add_downloads(scene, other, 1);
  added.insert(replacement.begin(), replacement.end());
  std::uintmax_t added_bytes = 0;
  for (const auto& [path, size] : added) added_bytes += size;

  auto month2 = scene.export_package({"--json"});
  INFO(month2.err);
  REQUIRE(month2.exit_code == 0);
  auto report = parse_json(month2);
  CHECK(report["sequence"] == 2);
  CHECK(report["mode"] == "incremental");
  CHECK(report["files_carried"] == added.size());
  CHECK(report["bytes_carried"] == added_bytes);
  CHECK(report["files_total"] == content_files(scene.connected()).size());
  CHECK(report["files_hashed"] == added.size());
  // A tar stream adds a 512-byte header and at most 511 bytes of padding per file, and a 10 KiB record.
  auto on_disk = volume_bytes(scene.package(2));
  CHECK(on_disk >= added_bytes);
  CHECK(on_disk <= added_bytes + added.size() * 1024 + 10240);

  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto expected = snapshot(scene.connected());
  for (const auto& path : removed) expected[path] = before.at(path);
  CHECK(snapshot(scene.offline()) == expected);
}

TEST_CASE(
    "a receipt listing a lost file makes the next export carry it again and warn about one the source "
    "lacks") {
  Scenario scene("incremental-receipt");
  REQUIRE(scene.export_package().exit_code == 0);
  REQUIRE(scene.import_packages().exit_code == 0);
  const std::string lost = content_files(scene.offline()).begin()->first;
  fs::remove(scene.offline() / lost);

  auto receipt = receipt_for(scene, 1);
  receipt.missing = {
      {lost, "missing", "", "", ""},
      {kAbsentPath, "missing", "11111111-2222-3333-4444-555555555555", "Old Update", "KB4000001"}};
  write_file(scene.root() / "receipt.json", wsa::manifest::serialize_receipt(receipt, {}));

  auto exported = scene.export_package({"--receipt", (scene.root() / "receipt.json").string(), "--json"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto report = parse_json(exported);
  CHECK(report["files_carried"] == 1);
  CHECK(report["files_resent"] == 1);
  CHECK(json_strings(report["requested_missing"]) == std::vector<std::string>{kAbsentPath});
  REQUIRE(report["warnings"].size() == 1);
  CHECK(report["warnings"][0].get<std::string>().starts_with(
      kAbsentPath +
      " (needed by KB4000001 \"Old Update\", update 11111111-2222-3333-4444-555555555555) is asked for "
      "but is not in "));

  auto status = scene.airgap({"status", "--state", scene.export_state().string()});
  CHECK(contains(status.out,
                 "exported 1 file(s); receipt receipt.json from OFFLINE (applied sequence 1, 2 file(s) "
                 "missing), 1 re-sent"));

  auto imported = scene.import_packages();
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(snapshot(scene.offline()) == snapshot(scene.connected()));
}

TEST_CASE(
    "a receipt from another ledger, for an unknown sequence, with a wrong manifest or altered after signing "
    "is refused with exit 3") {
  Scenario scene("incremental-bad-receipt");
  REQUIRE(scene.export_package().exit_code == 0);
  fs::path file = scene.root() / "receipt.json";
  auto refused = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--receipt", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = scene.export_package(args);
    CHECK(result.exit_code == 3);
    CHECK_FALSE(fs::exists(scene.package(2)));
    CHECK_FALSE(fs::exists(scene.package(2).string() + ".partial"));
    return result.err;
  };

  auto foreign = receipt_for(scene, 1);
  foreign.source_id = "another-server";
  write_file(file, wsa::manifest::serialize_receipt(foreign, {}));
  CHECK(contains(
      refused({}),
      file.string() + ": is a receipt for export source another-server; this ledger is " + source_id(scene)));

  auto ahead = receipt_for(scene, 1);
  ahead.applied_sequence = 5;
  write_file(file, wsa::manifest::serialize_receipt(ahead, {}));
  CHECK(contains(refused({}), "says sequence 5 was applied, but this ledger (" +
                                  scene.export_state().string() + ") has exported only up to sequence 1"));

  auto forged = receipt_for(scene, 1);
  forged.applied_manifest_sha256 = std::string(64, 'a');
  write_file(file, wsa::manifest::serialize_receipt(forged, {}));
  CHECK(contains(refused({}), "says sequence 1 had manifest " + std::string(64, 'a') +
                                  ", but this ledger exported sequence 1 with manifest " +
                                  manifest_sha256(scene, 1)));

  REQUIRE(scene.keygen("offline").exit_code == 0);
  auto key = wsa::manifest::SigningKey::load(scene.key("offline")).value();
  auto document = json::parse(wsa::manifest::serialize_receipt(receipt_for(scene, 1), {&key}));
  auto body = json::parse(document["body"].get<std::string>());
  body["missing"] = json::array(
      {{{"path", kAbsentPath}, {"reason", "missing"}, {"update_id", ""}, {"title", ""}, {"kb", ""}}});
  document["body"] = body.dump();
  write_file(file, document.dump());
  CHECK(contains(refused({"--receipt-trust", scene.pub("offline").string()}),
                 "the signature by trusted key " + key.key_id() + " does not match the receipt's body"));

  write_file(file, wsa::manifest::serialize_receipt(receipt_for(scene, 1), {}));
  CHECK(contains(refused({"--receipt-trust", scene.pub("offline").string()}),
                 "is not signed, and --receipt-trust requires a trusted signature"));
}

TEST_CASE("a --request export carries exactly the requested files and names those the source lacks") {
  Scenario scene("incremental-request");
  REQUIRE(scene.export_package().exit_code == 0);
  auto files = content_files(scene.connected());
  auto first = files.begin();
  auto second = std::next(first);
  wsa::manifest::ContentRequest request;
  request.created_utc = "2026-11-25T08:00:00Z";
  request.files = {{first->first, "missing", "", "", ""},
                   {second->first, "SHA-256 mismatch", "", "", ""},
                   {kAbsentPath, "missing", "", "", "KB4000002"}};
  write_file(scene.root() / "request.json", wsa::manifest::serialize_request(request));

  auto exported = scene.export_package({"--request", (scene.root() / "request.json").string(), "--json"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto report = parse_json(exported);
  CHECK(report["sequence"] == 2);
  CHECK(report["mode"] == "incremental");
  CHECK(report["files_carried"] == 2);
  CHECK(report["bytes_carried"] == first->second + second->second);
  CHECK(report["files_total"] == files.size());
  CHECK(json_strings(report["requested_missing"]) == std::vector<std::string>{kAbsentPath});

  auto manifest = wsa::manifest::parse_manifest(read_file(scene.package(2) / "manifest.json"), "m").value();
  CHECK(manifest.inventory.file_count == files.size());
  CHECK(manifest.inventory.carried_count == 2);
  CHECK(manifest.previous_manifest_sha256 == manifest_sha256(scene, 1));
}

TEST_CASE(
    "an export of an empty or vanished content folder is refused, and --allow-empty ships the empty one") {
  Scenario scene("incremental-empty", 2);
  fs::remove_all(scene.connected());
  auto vanished = scene.export_package();
  CHECK(vanished.exit_code == 1);
  CHECK(contains(vanished.err, scene.connected().string() + ": is not a folder (or cannot be read)"));

  fs::create_directories(scene.connected());
  auto empty = scene.export_package();
  CHECK(empty.exit_code == 1);
  CHECK(contains(empty.err, scene.connected().string() + ": holds no WsusContent files"));
  CHECK_FALSE(fs::exists(scene.package(1)));
  CHECK_FALSE(fs::exists(scene.package(1).string() + ".partial"));

  auto allowed = scene.export_package({"--allow-empty", "--json"});
  INFO(allowed.err);
  CHECK(allowed.exit_code == 0);
  CHECK(parse_json(allowed)["files_total"] == 0);
}

#ifdef __linux__
TEST_CASE(
    "a killed export leaves only a .partial folder, and the next export finishes it without re-hashing and "
    "records the interrupted run") {
  Scenario scene("incremental-killed");
  REQUIRE(scene.export_package().exit_code == 0);
  const auto month1_files = content_files(scene.connected()).size();
  auto added = add_downloads(scene, other_tree(scene), 4);

  set_env("WSUSUTIL_SIM_DELAY_MS", "3000");
  std::string command = "timeout -s KILL 1 '" + airgap_binary().string() + "' export --content '" +
                        scene.connected().string() + "' --media '" + scene.media().string() + "' --key '" +
                        scene.key().string() + "' --state '" + scene.export_state().string() +
                        "' --wsusutil '" + simulator_binary().string() + "' >/dev/null 2>&1";
  int killed = std::system(command.c_str());
  set_env("WSUSUTIL_SIM_DELAY_MS", "0");
  CHECK(killed != 0);
  CHECK(fs::exists(scene.package(2).string() + ".partial"));
  CHECK_FALSE(fs::exists(scene.package(2)));

  auto verified = scene.verify_media();
  CHECK(verified.exit_code == 0);
  CHECK(contains(verified.out, "OK      wsus-airgap-000001"));
  CHECK(contains(verified.out,
                 "SKIPPED " + scene.package(2).string() + ".partial (incomplete: no manifest.json)"));
  auto imported = scene.import_packages();
  INFO(imported.err);
  CHECK(imported.exit_code == 0);

  auto again = scene.export_package({"--json"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto report = parse_json(again);
  CHECK(report["sequence"] == 2);
  CHECK(report["interrupted"] == json::array({2}));
  CHECK(report["files_hashed"] == added.size());
  CHECK(report["files_from_cache"] == month1_files);
  CHECK(report["files_carried"] == added.size());
  CHECK_FALSE(fs::exists(scene.package(2).string() + ".partial"));

  auto status = scene.airgap({"status", "--state", scene.export_state().string()});
  CHECK(contains(status.out, "#000002"));
  CHECK(contains(status.out, "interrupted (the process ended before the package was finished)"));
}
#endif
