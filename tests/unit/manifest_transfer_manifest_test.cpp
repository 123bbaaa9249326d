#include <nlohmann/json.hpp>

#include <chrono>

#include "manifest/transfer_manifest.h"
#include "tests/support/catch.h"

using namespace wsa;
using namespace wsa::manifest;
using nlohmann::json;

namespace {

std::string hex64(char c) {
  return std::string(64, c);
}

TransferManifest sample() {
  TransferManifest manifest;
  manifest.source_id = "6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b";
  manifest.source_host = "WSUS-UP01";
  manifest.sequence = 42;
  manifest.previous_manifest_sha256 = hex64('a');
  manifest.created_utc = "2026-11-25T08:00:00Z";
  manifest.expires_utc = "2026-12-25T08:00:00Z";
  manifest.mode = PackageMode::kIncremental;
  manifest.metadata = PinnedFile{"metadata.xml.gz", 187654321, hex64('b')};
  manifest.volumes = {{"content.tar.000", 4000000000, hex64('c')}, {"content.tar.001", 1234567, hex64('d')}};
  manifest.inventory = {{"inventory.tsv", 48213, hex64('e')}, 250, 9876543210, 12, 4000500000};
  manifest.tool_version = "0.1.0";
  manifest.approvals = PinnedFile{"approvals.json", 5120, std::string(64, 'c')};
  return manifest;
}

// The sample's exact bytes: the format is a contract between two servers that may run different builds.
constexpr const char* kSampleText = R"({
  "approvals": {
    "name": "approvals.json",
    "sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
    "size": 5120
  },
  "created_utc": "2026-11-25T08:00:00Z",
  "expires_utc": "2026-12-25T08:00:00Z",
  "format_version": 2,
  "inventory": {
    "carried_bytes": 4000500000,
    "carried_count": 12,
    "file_count": 250,
    "name": "inventory.tsv",
    "sha256": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    "size": 48213,
    "total_bytes": 9876543210
  },
  "metadata": {
    "name": "metadata.xml.gz",
    "sha256": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "size": 187654321
  },
  "mode": "incremental",
  "previous_manifest_sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "sequence": 42,
  "source_host": "WSUS-UP01",
  "source_id": "6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b",
  "tool_version": "0.1.0",
  "volumes": [
    {
      "name": "content.tar.000",
      "sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
      "size": 4000000000
    },
    {
      "name": "content.tar.001",
      "sha256": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
      "size": 1234567
    }
  ]
}
)";

json sample_json() {
  return json::parse(serialize_manifest(sample()));
}

std::string why_refused(const std::string& text) {
  auto parsed = parse_manifest(text, "E:/wsus-airgap-000042/manifest.json");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ExitCode::kIntegrity);
  CHECK(parsed.error().what == "E:/wsus-airgap-000042/manifest.json");
  return parsed.error().why;
}

std::string why_refused(const json& document) {
  return why_refused(document.dump());
}

}  // namespace

TEST_CASE("a manifest serializes to exactly the documented bytes") {
  CHECK(serialize_manifest(sample()) == kSampleText);
  CHECK(serialize_manifest(sample()) == serialize_manifest(sample()));
}

TEST_CASE("a manifest parses back equal to what was serialized") {
  auto parsed = parse_manifest(kSampleText, "manifest.json");
  REQUIRE(parsed.has_value());
  CHECK(*parsed == sample());

  TransferManifest minimal = sample();
  minimal.sequence = 1;
  minimal.previous_manifest_sha256.clear();
  minimal.expires_utc.reset();
  minimal.mode = PackageMode::kFull;
  minimal.metadata.reset();
  minimal.volumes.clear();
  minimal.inventory.carried_count = 0;
  minimal.inventory.carried_bytes = 0;
  minimal.source_host.clear();
  auto text = serialize_manifest(minimal);
  CHECK(text.find("\"expires_utc\": null") != std::string::npos);
  CHECK(text.find("\"metadata\": null") != std::string::npos);
  auto reparsed = parse_manifest(text, "manifest.json");
  REQUIRE(reparsed.has_value());
  CHECK(*reparsed == minimal);
  CHECK(serialize_manifest(*reparsed) == text);
}

TEST_CASE("a manifest in another JSON layout parses to the same manifest, only its bytes differ") {
  auto compact = sample_json().dump();
  auto parsed = parse_manifest(compact, "manifest.json");
  REQUIRE(parsed.has_value());
  CHECK(*parsed == sample());
}

TEST_CASE("a format 1 manifest (before approvals) is read with no approvals, and may not name any") {
  auto document = sample_json();
  document["format_version"] = 1;
  document.erase("approvals");
  auto parsed = parse_manifest(document.dump(), "manifest.json");
  REQUIRE(parsed.has_value());
  CHECK(parsed->format_version == 1);
  CHECK_FALSE(parsed->approvals.has_value());
  CHECK(parsed->sequence == sample().sequence);
  // Written back, it is still format 1: no approvals field, and it reads back the same.
  auto text = serialize_manifest(*parsed);
  CHECK(text.find("approvals") == std::string::npos);
  auto again = parse_manifest(text, "again");
  REQUIRE(again.has_value());
  CHECK(*again == *parsed);
  document["approvals"] = nullptr;
  CHECK(why_refused(document).find("unknown field") != std::string::npos);
  CHECK(why_refused(document).find("approvals") != std::string::npos);
}

TEST_CASE("a manifest from an older wsus-airgap is refused with the older-version message") {
  auto document = sample_json();
  document["format_version"] = 0;
  CHECK(why_refused(document) == "manifest format version 0 is older than this wsus-airgap reads (2)");
  document["format_version"] = -3;
  CHECK(why_refused(document) == "manifest format version -3 is older than this wsus-airgap reads (2)");
}

TEST_CASE("a manifest from a newer wsus-airgap is refused with the upgrade message, whatever else it holds") {
  auto document = sample_json();
  document["format_version"] = 3;
  CHECK(why_refused(document) ==
        "was written by a newer wsus-airgap (format 3); this one reads format 2: upgrade wsus-airgap on this "
        "server");
  document["a_field_from_the_future"] = {1, 2, 3};
  document.erase("sequence");
  CHECK(why_refused(document) ==
        "was written by a newer wsus-airgap (format 3); this one reads format 2: upgrade wsus-airgap on this "
        "server");
  auto parsed = parse_manifest(document.dump(), "m.json");
  CHECK(parsed.error().hint.empty());
}

TEST_CASE("a manifest that is not one JSON object of bounded size is refused") {
  CHECK(why_refused(std::string("{")).starts_with("is not valid JSON: "));
  CHECK(why_refused(std::string(kSampleText) + "{}").starts_with("is not valid JSON: "));
  CHECK(why_refused(std::string("[1]")) == "is not a JSON object");
  CHECK(why_refused(std::string("")).starts_with("is not valid JSON: "));
  CHECK(why_refused(std::string(kMaxManifestBytes + 1, ' ')) ==
        "is too large: 4194305 bytes; the limit is 4194304");
  CHECK(why_refused(std::string(R"({"format_version":1,"sequence":1,"sequence":2})")) ==
        "has the field \"sequence\" twice in one object");
  CHECK(why_refused(std::string(R"({"format_version":1,"x":[[[[[[[[[[1]]]]]]]]]]})")) ==
        "is nested deeper than 8 levels");
  CHECK(why_refused(std::string("{\"format_version\":1,\"source_host\":\"\xff\"}"))
            .starts_with("is not valid JSON: "));
}

TEST_CASE("each malformed top-level field is refused with its own message") {
  struct Case {
    const char* field;
    json value;
    std::string why;
  };
  const std::vector<Case> cases{
      {"format_version", "1", "field format_version is not an integer"},
      {"format_version", 1.0, "field format_version is not an integer"},
      {"source_id", "", "field source_id \"\" is not 1-64 characters from A-Z a-z 0-9 . _ -"},
      {"source_id", "a b", "field source_id \"a b\" is not 1-64 characters from A-Z a-z 0-9 . _ -"},
      {"source_id", std::string(65, 'a'),
       "field source_id \"" + std::string(65, 'a') + "\" is not 1-64 characters from A-Z a-z 0-9 . _ -"},
      {"source_id", 7, "field source_id is not a string"},
      {"source_host", "evil\x1b[2Jhost", "field source_host must be 0-255 printable ASCII characters"},
      {"source_host", std::string(256, 'h'), "field source_host must be 0-255 printable ASCII characters"},
      {"sequence", 0, "field sequence is 0; sequences start at 1"},
      {"sequence", -1, "field sequence is not a non-negative integer"},
      {"sequence", 1.5, "field sequence is not a non-negative integer"},
      {"sequence", "42", "field sequence is not a non-negative integer"},
      {"previous_manifest_sha256", std::string(64, 'A'),
       "field previous_manifest_sha256 is neither empty nor 64 lower-case hex characters"},
      {"previous_manifest_sha256", std::string(63, 'a'),
       "field previous_manifest_sha256 is neither empty nor 64 lower-case hex characters"},
      {"previous_manifest_sha256", nullptr, "field previous_manifest_sha256 is not a string"},
      {"created_utc", "2026-11-25 08:00:00",
       "field created_utc \"2026-11-25 08:00:00\" is not a UTC time like 2026-11-25T08:00:00Z"},
      {"created_utc", "2026-02-30T08:00:00Z",
       "field created_utc \"2026-02-30T08:00:00Z\" is not a UTC time like 2026-11-25T08:00:00Z"},
      {"created_utc", nullptr, "field created_utc is not a string"},
      {"expires_utc", "2026-11-25T08:00:00+01:00",
       "field expires_utc \"2026-11-25T08:00:00+01:00\" is not a UTC time like 2026-11-25T08:00:00Z"},
      {"mode", "partial", "field mode \"partial\" is neither \"full\" nor \"incremental\""},
      {"mode", "Full", "field mode \"Full\" is neither \"full\" nor \"incremental\""},
      {"metadata", "metadata.xml.gz", "field metadata is not an object"},
      {"volumes", json::object(), "field volumes is not an array"},
      {"volumes", nullptr, "field volumes is not an array"},
      {"inventory", nullptr, "field inventory is not an object"},
      {"tool_version", "", "field tool_version must be 1-64 printable ASCII characters"},
      {"tool_version", std::string(65, '1'), "field tool_version must be 1-64 printable ASCII characters"},
      {"tool_version", "0.1\n", "field tool_version must be 1-64 printable ASCII characters"},
  };
  for (const auto& c : cases) {
    auto document = sample_json();
    document[c.field] = c.value;
    INFO(c.field << " = " << c.value.dump());
    CHECK(why_refused(document) == c.why);
  }
}

TEST_CASE("a manifest missing any field, or with an unknown one, is refused naming the field") {
  const auto complete = sample_json();
  for (const auto& [key, value] : complete.items()) {
    auto document = sample_json();
    document.erase(key);
    INFO("without " << key);
    CHECK(why_refused(document) == "lacks the field " + key);
  }
  auto document = sample_json();
  document["signature"] = "inline";
  CHECK(why_refused(document) == "has an unknown field signature");
  document = sample_json();
  document["inventory"]["notes"] = "";
  CHECK(why_refused(document) == "has an unknown field inventory.notes");
  document = sample_json();
  document["volumes"][1]["offset"] = 0;
  CHECK(why_refused(document) == "has an unknown field volumes[1].offset");
  document = sample_json();
  document["metadata"].erase("sha256");
  CHECK(why_refused(document) == "lacks the field metadata.sha256");
  document = sample_json();
  document["inventory"].erase("carried_bytes");
  CHECK(why_refused(document) == "lacks the field inventory.carried_bytes");
}

TEST_CASE("a pinned file with an unsafe name, a bad size or bad hex is refused") {
  const std::string rule =
      "\" is not a plain file name ([A-Za-z0-9._-], 1-128 characters, not starting with '.')";
  for (const std::string& name :
       std::vector<std::string>{"../metadata.xml.gz", "..", ".", ".hidden", "a/b", "a\\b", "C:x", "", "a b",
                                "m\xc3\xa9ta", std::string(129, 'm')}) {
    auto document = sample_json();
    document["metadata"]["name"] = name;
    INFO("name " << name);
    auto why = why_refused(document);
    if (name.size() > 80) {
      CHECK(why == "field metadata.name \"" + name.substr(0, 80) + "..." + rule);
    } else {
      CHECK(why == "field metadata.name \"" + name + rule);
    }
  }
  auto document = sample_json();
  document["metadata"]["name"] = std::string(128, 'm');
  CHECK(parse_manifest(document.dump(), "m").has_value());

  document = sample_json();
  document["metadata"]["size"] = (std::uint64_t{1} << 50) + 1;
  CHECK(why_refused(document) == "field metadata.size exceeds the 2^50-byte limit");
  document["metadata"]["size"] = std::uint64_t{1} << 50;
  CHECK(parse_manifest(document.dump(), "m").has_value());
  document["metadata"]["size"] = -5;
  CHECK(why_refused(document) == "field metadata.size is not a non-negative integer");

  document = sample_json();
  document["inventory"]["sha256"] = std::string(64, 'E');
  CHECK(why_refused(document) == "field inventory.sha256 is not 64 lower-case hex characters");
  document["inventory"]["sha256"] = std::string(64, 'g');
  CHECK(why_refused(document) == "field inventory.sha256 is not 64 lower-case hex characters");
  document["inventory"]["sha256"] = std::string(66, 'e');
  CHECK(why_refused(document) == "field inventory.sha256 is not 64 lower-case hex characters");
}

TEST_CASE("volumes must be named content.tar.000, .001, ... in order, at most 100000 of them") {
  auto document = sample_json();
  document["volumes"][1]["name"] = "content.tar.002";
  CHECK(why_refused(document) ==
        "field volumes[1].name is \"content.tar.002\"; expected \"content.tar.001\" (volumes are listed in "
        "order)");
  document = sample_json();
  std::swap(document["volumes"][0], document["volumes"][1]);
  CHECK(why_refused(document) ==
        "field volumes[0].name is \"content.tar.001\"; expected \"content.tar.000\" (volumes are listed in "
        "order)");
  document = sample_json();
  document["volumes"][0] = "content.tar.000";
  CHECK(why_refused(document) == "field volumes[0] is not an object");

  document = sample_json();
  document["volumes"] = json::array();
  for (std::size_t i = 0; i <= kMaxVolumes; ++i) document["volumes"].push_back(0);
  CHECK(why_refused(document) == "lists 100001 volumes; the limit is 100000");

  CHECK(volume_file_name(0) == "content.tar.000");
  CHECK(volume_file_name(7) == "content.tar.007");
  CHECK(volume_file_name(999) == "content.tar.999");
  CHECK(volume_file_name(1000) == "content.tar.1000");
}

TEST_CASE("inventory counts that contradict each other or the volumes are refused") {
  auto document = sample_json();
  document["inventory"]["carried_count"] = 251;
  CHECK(why_refused(document) == "field inventory.carried_count is larger than inventory.file_count");
  document = sample_json();
  document["inventory"]["carried_bytes"] = 9876543211;
  CHECK(why_refused(document) == "field inventory.carried_bytes is larger than inventory.total_bytes");
  document = sample_json();
  document["inventory"]["carried_bytes"] = 4001234568;
  CHECK(why_refused(document) ==
        "field inventory.carried_bytes (4001234568) is more than the volumes hold (4001234567 bytes)");
  document["inventory"]["carried_bytes"] = 4001234567;
  CHECK(parse_manifest(document.dump(), "m").has_value());
}

TEST_CASE("a pinned name may appear once and never as manifest.json or signatures.json") {
  auto document = sample_json();
  document["metadata"]["name"] = "inventory.tsv";
  CHECK(why_refused(document) == "pins the file name \"inventory.tsv\" twice");
  document["metadata"]["name"] = "content.tar.001";
  CHECK(why_refused(document) == "pins the file name \"content.tar.001\" twice");
  document["metadata"]["name"] = "manifest.json";
  CHECK(why_refused(document) ==
        "pins \"manifest.json\", a name reserved for the package's manifest and signatures");
  document = sample_json();
  document["inventory"]["name"] = "signatures.json";
  CHECK(why_refused(document) ==
        "pins \"signatures.json\", a name reserved for the package's manifest and signatures");
}

TEST_CASE("a refused manifest error tells the operator not to import it") {
  auto document = sample_json();
  document["sequence"] = 0;
  auto parsed = parse_manifest(document.dump(), "E:/wsus-airgap-000042/manifest.json");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message() ==
        "E:/wsus-airgap-000042/manifest.json: field sequence is 0; sequences start at 1\n"
        "  hint: the manifest is damaged or was altered; do not import this package: export it again on the "
        "connected server");
}

TEST_CASE("package folder names are wsus-airgap- and six or more digits, with one spelling per sequence") {
  CHECK(package_folder_name(1) == "wsus-airgap-000001");
  CHECK(package_folder_name(42) == "wsus-airgap-000042");
  CHECK(package_folder_name(999999) == "wsus-airgap-999999");
  CHECK(package_folder_name(1234567) == "wsus-airgap-1234567");
  CHECK(parse_package_folder_name("wsus-airgap-000042") == std::optional<std::uint64_t>(42));
  CHECK(parse_package_folder_name("wsus-airgap-999999") == std::optional<std::uint64_t>(999999));
  CHECK(parse_package_folder_name("wsus-airgap-1234567") == std::optional<std::uint64_t>(1234567));
  CHECK(parse_package_folder_name(package_folder_name(18446744073709551615ULL)) ==
        std::optional<std::uint64_t>(18446744073709551615ULL));
  for (const char* name :
       {"wsus-airgap-42", "wsus-airgap-0000042", "wsus-airgap-000000", "wsus-airgap-+00042",
        "wsus-airgap--00042", "wsus-airgap-00004a", "wsus-airgap- 00042", "wsus-airgap-000042 ",
        "WSUS-AIRGAP-000042", "wsus-airgap-", "wsus-airgap-000042/x", "x-wsus-airgap-000042",
        "wsus-airgap-99999999999999999999", "wsus-airgap-0x0042"}) {
    INFO(name);
    CHECK_FALSE(parse_package_folder_name(name).has_value());
  }
}

TEST_CASE("UTC times parse only in the one form YYYY-MM-DDTHH:MM:SSZ, to exact epoch seconds") {
  CHECK(parse_utc("1970-01-01T00:00:00Z") == std::optional<std::int64_t>(0));
  CHECK(parse_utc("1969-12-31T23:59:59Z") == std::optional<std::int64_t>(-1));
  CHECK(parse_utc("2000-03-01T00:00:00Z") == std::optional<std::int64_t>(951868800));
  CHECK(parse_utc("2026-11-25T08:00:00Z") == std::optional<std::int64_t>(1795593600));
  CHECK(parse_utc("9999-12-31T23:59:59Z") == std::optional<std::int64_t>(253402300799));
  CHECK(parse_utc("2024-02-29T12:00:00Z").has_value());
  CHECK(parse_utc("2000-02-29T12:00:00Z").has_value());
  for (const char* text : {"2023-02-29T12:00:00Z",
                           "1900-02-29T12:00:00Z",
                           "2026-04-31T00:00:00Z",
                           "2026-13-01T00:00:00Z",
                           "2026-00-01T00:00:00Z",
                           "2026-01-00T00:00:00Z",
                           "2026-01-01T24:00:00Z",
                           "2026-01-01T00:60:00Z",
                           "2026-01-01T00:00:60Z",
                           "2026-01-01t00:00:00Z",
                           "2026-01-01T00:00:00z",
                           "2026-01-01T00:00:00",
                           "2026-01-01",
                           "2026-01-01T00:00:00.000Z",
                           "2026-01-01T00:00:00+00:00",
                           "+026-01-01T00:00:00Z",
                           "2026-1-01T00:00:00Z ",
                           "2026/01/01T00:00:00Z",
                           "",
                           "２０２6-01-01T00:00:00Z"}) {
    INFO(text);
    CHECK_FALSE(parse_utc(text).has_value());
  }
}

TEST_CASE("formatting a UTC time is the exact inverse of parsing it") {
  for (std::int64_t seconds : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{951782400},
                               std::int64_t{951868799}, std::int64_t{1795593600}, std::int64_t{4102444800},
                               std::int64_t{253402300799}, std::int64_t{-62167219200}}) {
    INFO(seconds);
    CHECK(parse_utc(format_utc(seconds)) == std::optional<std::int64_t>(seconds));
  }
  CHECK(format_utc(951782400) == "2000-02-29T00:00:00Z");
  CHECK(format_utc(-62167219200) == "0000-01-01T00:00:00Z");
  // Every 997th day from 0000-01-01 to 9999-12-31, at a different time of day each.
  for (std::int64_t day = -719528; day <= 2932896; day += 997) {
    auto seconds = day * 86400 + (day % 86400 + 86400) % 86400;
    REQUIRE(parse_utc(format_utc(seconds)) == std::optional<std::int64_t>(seconds));
  }
  auto now = parse_utc(utc_now());
  REQUIRE(now.has_value());
  auto system_now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  CHECK(*now <= system_now);
  CHECK(*now >= system_now - 5);
}

TEST_CASE(
    "a manifest whose expiry lies before its creation is read, so the order rules can call it expired") {
  auto document = sample_json();
  document["created_utc"] = "2026-11-25T08:00:00Z";
  document["expires_utc"] = "2026-11-24T08:00:00Z";
  auto parsed = manifest::parse_manifest(document.dump(), "manifest.json");
  REQUIRE(parsed);
  REQUIRE(parsed->expires_utc);
  CHECK(*parsed->expires_utc == "2026-11-24T08:00:00Z");
}

TEST_CASE("a source_host with bytes over 0x7F is refused as not printable ASCII, and never written") {
  json document = json::parse(kSampleText);
  document["source_host"] =
      "WSUS-\xC3\x9C"
      "BER";  // "WSUS-ÜBER": valid UTF-8, not ASCII
  CHECK(why_refused(document) == "field source_host must be 0-255 printable ASCII characters");

  TransferManifest manifest = sample();
  manifest.source_host =
      "WSUS-\xC3\x9C"
      "BER";
  auto parsed = parse_manifest(serialize_manifest(manifest), "manifest.json");
  REQUIRE(parsed.has_value());
  CHECK(parsed->source_host == "WSUS-??BER");
}
