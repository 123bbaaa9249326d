#include <nlohmann/json.hpp>

#include <boost/filesystem/operations.hpp>

#include <cstdio>

#include "manifest/receipt.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::manifest;

namespace {

const std::string kPathA = "A0/" + std::string(38, '1') + "A0.cab";
const std::string kPathB = "0B/" + std::string(38, 'F') + "0B.exe";

Receipt sample_receipt() {
  Receipt receipt;
  receipt.offline_ledger_id = "6f1c2a4e-0000-4000-8000-000000000001";
  receipt.offline_host = "OFFLINE-WSUS";
  receipt.created_utc = "2026-11-25T08:00:00Z";
  receipt.source_id = "2b7d9c10-0000-4000-8000-000000000002";
  receipt.applied_sequence = 3;
  receipt.applied_manifest_sha256 = std::string(64, 'c');
  receipt.applied_this_run = {2, 3};
  receipt.content_digest = std::string(64, 'd');
  receipt.content_files = 120;
  receipt.content_bytes = 987654;
  receipt.missing = {
      {kPathA, "missing", "a1b2c3d4-0000-0000-0000-000000000001", "Security Update \xc3\xa9", "KB5000001"},
      {kPathB, "SHA-256 mismatch", "", "", ""}};
  return receipt;
}

std::string why_receipt_refused(const std::string& text, const TrustStore* trust = nullptr) {
  auto parsed = parse_receipt(text, "media/receipt.json", trust);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ExitCode::kIntegrity);
  CHECK(parsed.error().what == "media/receipt.json");
  return parsed.error().why;
}

// Rewrites one field of the (unsigned) body and re-wraps it, as a forger without a key would.
std::string with_body_field(const std::string& receipt_text, const std::string& field,
                            const nlohmann::json& value) {
  auto document = nlohmann::json::parse(receipt_text);
  auto body = nlohmann::json::parse(document["body"].get<std::string>());
  body[field] = value;
  document["body"] = body.dump();
  return document.dump(2);
}

}  // namespace

TEST_CASE("a signed receipt parses back to exactly the receipt that was written") {
  auto key = SigningKey::generate();
  REQUIRE(key.has_value());
  TrustStore trust;
  trust.add(key->public_key());
  Receipt receipt = sample_receipt();
  auto parsed = parse_receipt(serialize_receipt(receipt, {&*key}), "media/receipt.json", &trust);
  REQUIRE(parsed.has_value());
  CHECK(parsed->offline_ledger_id == receipt.offline_ledger_id);
  CHECK(parsed->offline_host == "OFFLINE-WSUS");
  CHECK(parsed->created_utc == "2026-11-25T08:00:00Z");
  CHECK(parsed->source_id == receipt.source_id);
  CHECK(parsed->applied_sequence == 3);
  CHECK(parsed->applied_manifest_sha256 == std::string(64, 'c'));
  CHECK(parsed->applied_this_run == std::vector<std::uint64_t>{2, 3});
  CHECK(parsed->content_digest == std::string(64, 'd'));
  CHECK(parsed->content_files == 120);
  CHECK(parsed->content_bytes == 987654);
  REQUIRE(parsed->missing.size() == 2);
  CHECK(parsed->missing[0].path == kPathA);
  CHECK(parsed->missing[0].problem == "missing");
  CHECK(parsed->missing[0].update_id == "a1b2c3d4-0000-0000-0000-000000000001");
  CHECK(parsed->missing[0].title == "Security Update \xc3\xa9");
  CHECK(parsed->missing[0].kb == "KB5000001");
  CHECK(parsed->missing[1].path == kPathB);
  CHECK(parsed->missing[1].problem == "SHA-256 mismatch");
}

TEST_CASE("an unsigned receipt is read without trust and refused when trusted keys are given") {
  std::string text = serialize_receipt(sample_receipt(), {});
  CHECK(parse_receipt(text, "media/receipt.json", nullptr).has_value());
  auto key = SigningKey::generate();
  REQUIRE(key.has_value());
  TrustStore trust;
  trust.add(key->public_key());
  CHECK(why_receipt_refused(text, &trust) ==
        "is not signed, and --receipt-trust requires a trusted signature");
}

TEST_CASE("a receipt signed by a key not given as trusted is refused") {
  auto signer = SigningKey::generate();
  auto other = SigningKey::generate();
  REQUIRE(signer.has_value());
  REQUIRE(other.has_value());
  TrustStore trust;
  trust.add(other->public_key());
  CHECK(why_receipt_refused(serialize_receipt(sample_receipt(), {&*signer}), &trust) ==
        "is not signed by any key given with --receipt-trust");
}

TEST_CASE("a signed receipt whose body was altered is refused naming the key whose signature fails") {
  auto key = SigningKey::generate();
  REQUIRE(key.has_value());
  TrustStore trust;
  trust.add(key->public_key());
  std::string altered = with_body_field(serialize_receipt(sample_receipt(), {&*key}), "applied_sequence", 9);
  CHECK(why_receipt_refused(altered, &trust) ==
        "the signature by trusted key " + key->key_id() +
            " does not match the receipt's body: it was altered after "
            "signing");
}

TEST_CASE("a receipt carries the approvals summary back, signed with the rest of its body") {
  auto receipt = sample_receipt();
  receipt.approvals = ReceiptApprovals{3, "partly applied", 5, 4, 6, 1, 2, 0};
  auto parsed = parse_receipt(serialize_receipt(receipt, {}), "receipt.json", nullptr).value();
  REQUIRE(parsed.approvals.has_value());
  CHECK(*parsed.approvals == *receipt.approvals);
  CHECK_FALSE(parse_receipt(serialize_receipt(sample_receipt(), {}), "receipt.json", nullptr)->approvals);
}

TEST_CASE("a receipt of an older or newer format version is refused with a message for each") {
  auto document = nlohmann::json::parse(serialize_receipt(sample_receipt(), {}));
  document["format_version"] = 1;
  CHECK(why_receipt_refused(document.dump()) ==
        "receipt format version 1 is older than this wsus-airgap reads (2)");
  document["format_version"] = 3;
  CHECK(why_receipt_refused(document.dump()) ==
        "was written by a newer wsus-airgap (receipt format 3); this one reads format 2: upgrade wsus-airgap "
        "on "
        "this server");
}

TEST_CASE("a receipt with an unknown field in its envelope or body is refused naming the field") {
  std::string text = serialize_receipt(sample_receipt(), {});
  auto document = nlohmann::json::parse(text);
  document["comment"] = "hi";
  CHECK(why_receipt_refused(document.dump()) == "has an unknown field comment");
  CHECK(why_receipt_refused(with_body_field(text, "extra", 1)) == "has an unknown field body.extra");
}

TEST_CASE("a receipt listing a path that is not a canonical content path is refused") {
  std::string text = serialize_receipt(sample_receipt(), {});
  for (const std::string& bad : {std::string("../../etc/passwd"), "a0/" + std::string(38, '1') + "A0.cab",
                                 "A0\\" + std::string(38, '1') + "A0.cab", std::string("A0/short.cab")}) {
    nlohmann::json missing = nlohmann::json::array(
        {{{"path", bad}, {"reason", "missing"}, {"update_id", ""}, {"title", ""}, {"kb", ""}}});
    CHECK(why_receipt_refused(with_body_field(text, "missing", missing))
              .starts_with("field body.missing[0].path"));
  }
}

TEST_CASE("a receipt larger than the limit is refused unread") {
  std::string huge(kMaxReceiptBytes + 1, ' ');
  CHECK(why_receipt_refused(huge) == "is too large: " + std::to_string(kMaxReceiptBytes + 1) +
                                         " bytes; the limit is " + std::to_string(kMaxReceiptBytes));
}

TEST_CASE("a content request parses back to the files it lists") {
  ContentRequest request;
  request.created_utc = "2026-11-25T08:00:00Z";
  request.offline_host = "OFFLINE";
  request.files = {{kPathB, "missing", "", "", "KB1"}};
  auto parsed = parse_request(serialize_request(request), "request.json");
  REQUIRE(parsed.has_value());
  CHECK(parsed->source_id.empty());
  CHECK(parsed->offline_host == "OFFLINE");
  REQUIRE(parsed->files.size() == 1);
  CHECK(parsed->files[0].path == kPathB);
  CHECK(parsed->files[0].kb == "KB1");
}

TEST_CASE("read_requested_files reads a receipt's missing files or a request's files, each path once") {
  test::TestDir dir("read_requested_files");
  Receipt receipt = sample_receipt();
  receipt.missing.push_back(receipt.missing[0]);
  test::write_file(dir / "receipt.json", serialize_receipt(receipt, {}));
  auto from_receipt = read_requested_files(dir / "receipt.json", nullptr);
  REQUIRE(from_receipt.has_value());
  REQUIRE(from_receipt->size() == 2);
  CHECK((*from_receipt)[0].path == kPathA);
  CHECK((*from_receipt)[1].path == kPathB);

  ContentRequest request;
  request.created_utc = "2026-11-25T08:00:00Z";
  request.files = {{kPathB, "missing", "", "", ""}};
  test::write_file(dir / "request.json", serialize_request(request));
  auto from_request = read_requested_files(dir / "request.json", nullptr);
  REQUIRE(from_request.has_value());
  REQUIRE(from_request->size() == 1);
  CHECK((*from_request)[0].path == kPathB);

  test::write_file(dir / "other.json", "{\"kind\":\"something\"}");
  auto other = read_requested_files(dir / "other.json", nullptr);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code == ExitCode::kIntegrity);
  CHECK(other.error().why ==
        "is neither a receipt nor a content request (its \"kind\" field is \"something\")");
}

namespace {

// A realistic entry: every path different, a title of the usual length, a KB, a reason.
std::vector<MissingFile> many_files(std::size_t count) {
  std::vector<MissingFile> files;
  files.reserve(count);
  char sha1[41];
  for (std::size_t i = 0; i < count; ++i) {
    std::snprintf(sha1, sizeof sha1, "%040zX", i);
    std::string hex(sha1);
    files.push_back(
        {hex.substr(38, 2) + "/" + hex + ".cab", "missing", "a1b2c3d4-0000-4000-8000-000000000001",
         "2026-11 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5000001)",
         "KB5000001"});
  }
  return files;
}

ContentRequest request_of(std::vector<MissingFile> files) {
  ContentRequest request;
  request.created_utc = "2026-11-25T08:00:00Z";
  request.offline_host = "OFFLINE";
  request.files = std::move(files);
  return request;
}

}  // namespace

TEST_CASE("the largest content request the writer may write is read back whole, in linear time") {
  test::TestDir dir("largest-request");
  auto request = request_of(many_files(kMaxRequestedFiles));
  REQUIRE(write_request(dir / "request.json", request).has_value());
  CHECK(boost::filesystem::file_size(dir / "request.json") <= kMaxReceiptBytes);
  auto files = read_requested_files(dir / "request.json", nullptr);
  REQUIRE(files.has_value());
  REQUIRE(files->size() == kMaxRequestedFiles);
  CHECK(files->back().path == request.files.back().path);
  CHECK(files->back().title == request.files.back().title);

  // One more entry than the limit, added by hand, is refused as too large while it is read.
  std::string text = test::read_file(dir / "request.json");
  auto end = text.rfind("\n  ]");
  REQUIRE(end != std::string::npos);
  text.insert(end, ",\n    {\"kb\":\"\",\"path\":\"" + kPathA +
                       "\",\"reason\":\"\",\"title\":\"\",\"update_id\":\"\"}");
  auto refused = parse_request(text, "request.json");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why == "is too large: its field files holds more than 1000000 entries, the limit");
}

TEST_CASE("a request or receipt over the file limit is refused by the writer as too large, naming the file") {
  test::TestDir dir("request-too-large");
  auto request = request_of(many_files(kMaxRequestedFiles + 1));
  auto written = write_request(dir / "request.json", request);
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().code == ExitCode::kOperational);
  CHECK(written.error().what == (dir / "request.json").string());
  CHECK(written.error().why ==
        "is too large: 1000001 files; the limit is 1000000 per receipt or content request");
  CHECK(written.error().hint.find("export --full") != std::string::npos);
  CHECK_FALSE(boost::filesystem::exists(dir / "request.json"));

  Receipt receipt = sample_receipt();
  receipt.missing = std::move(request.files);
  try {
    serialize_receipt(receipt, {});
    FAIL("a receipt over the limit was written");
  } catch (const AirgapError& error) {
    CHECK(error.error().why.starts_with("is too large: 1000001 files"));
  }
}

TEST_CASE("a receipt or request file over the byte limit is refused unread, naming size and limit") {
  test::TestDir dir("request-over-bytes");
  test::write_file(dir / "request.json", "{}");
  boost::filesystem::resize_file(dir / "request.json", kMaxReceiptBytes + 1);  // sparse: nothing is written
  auto refused = read_requested_files(dir / "request.json", nullptr);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ExitCode::kIntegrity);
  CHECK(refused.error().what == (dir / "request.json").string());
  CHECK(refused.error().why == "is too large: " + std::to_string(kMaxReceiptBytes + 1) +
                                   " bytes; the limit for a receipt or content request is " +
                                   std::to_string(kMaxReceiptBytes) + " bytes");
}

TEST_CASE("the writer cuts and cleans informative fields so its reader always accepts them") {
  auto request = request_of({{kPathA, "unreadable: " + std::string(500, 'x'), std::string(100, 'u'),
                              "Title\x1b[2J with a bad byte \xff and " + std::string(2000, 't'), "KB\t1"}});
  auto parsed = parse_request(serialize_request(request), "request.json");
  REQUIRE(parsed.has_value());
  const auto& file = parsed->files.at(0);
  CHECK(file.problem.size() == 200);
  CHECK(file.update_id.size() == 64);
  CHECK(file.title.starts_with("Title?[2J with a bad byte ? and ttt"));
  CHECK(file.title.size() == 1024);
  CHECK(file.kb == "KB?1");

  Receipt receipt = sample_receipt();
  receipt.missing = request.files;
  CHECK(parse_receipt(serialize_receipt(receipt, {}), "receipt.json", nullptr).has_value());
}

TEST_CASE("a content request is written one file per line") {
  auto text = serialize_request(request_of(many_files(2)));
  CHECK(text.find("\"files\": [\n    {\"kb\":\"KB5000001\",\"path\":\"00/") != std::string::npos);
  CHECK(
      text.ends_with("\n  ],\n  \"format_version\": 1,\n  \"kind\": \"wsus-airgap content request\",\n"
                     "  \"offline_host\": \"OFFLINE\",\n  \"source_id\": \"\"\n}\n"));
}

TEST_CASE(
    "a newer request whose files have fields this reader does not know says upgrade, not unknown field") {
  std::string text = R"({"created_utc":"2026-11-25T08:00:00Z","files":[{"path":")" + kPathA +
                     R"(","priority":1}],"format_version":2,"kind":"wsus-airgap content request",)"
                     R"("offline_host":"","source_id":""})";
  auto refused = parse_request(text, "request.json");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().why ==
        "was written by a newer wsus-airgap (content request format 2); this one reads format 1: upgrade "
        "wsus-airgap on this server");
  text.replace(text.find("\"format_version\":2"), 18, "\"format_version\":1");
  CHECK(parse_request(text, "request.json").error().why == "has an unknown field files[0].priority");
}
