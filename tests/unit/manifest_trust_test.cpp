#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::manifest;

namespace {

const std::string kManifest = "{\n  \"format_version\": 1,\n  \"sequence\": 7\n}\n";

std::string why_refused(const std::string& text) {
  auto parsed = parse_signatures(text, "pkg/signatures.json");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ExitCode::kIntegrity);
  CHECK(parsed.error().what == "pkg/signatures.json");
  return parsed.error().why;
}

nlohmann::json valid_document() {
  return nlohmann::json::parse(serialize_signatures({{std::string(32, 'a'), std::string(64, '\x01')}}));
}

}  // namespace

TEST_CASE("signatures.json is written in one exact form and parses back to the same signatures") {
  std::vector<Signature> signatures{{std::string(32, 'a'), std::string(64, '\0')},
                                    {"0123456789abcdef0123456789abcdef", std::string(64, '\xff')}};
  auto text = serialize_signatures(signatures);
  CHECK(text ==
        "{\n"
        "  \"algorithm\": \"ed25519\",\n"
        "  \"format_version\": 1,\n"
        "  \"signatures\": [\n"
        "    {\n"
        "      \"key_id\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\n"
        "      \"signature\": \"" +
            to_base64(std::string(64, '\0')) +
            "\"\n"
            "    },\n"
            "    {\n"
            "      \"key_id\": \"0123456789abcdef0123456789abcdef\",\n"
            "      \"signature\": \"" +
            to_base64(std::string(64, '\xff')) +
            "\"\n"
            "    }\n"
            "  ]\n"
            "}\n");
  auto parsed = parse_signatures(text, "signatures.json");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].key_id == signatures[0].key_id);
  CHECK((*parsed)[0].signature == signatures[0].signature);
  CHECK((*parsed)[1].key_id == signatures[1].key_id);
  CHECK((*parsed)[1].signature == signatures[1].signature);
  CHECK(parse_signatures(serialize_signatures({}), "s")->empty());
}

TEST_CASE("signatures.json from a newer or older wsus-airgap is refused with its own message") {
  auto document = valid_document();
  document["format_version"] = 2;
  document["new_field"] = true;  // a newer format's fields do not hide the version message
  CHECK(why_refused(document.dump()) ==
        "was written by a newer wsus-airgap (signatures format 2); this one reads format 1: upgrade "
        "wsus-airgap on "
        "this server");
  document = valid_document();
  document["format_version"] = 0;
  CHECK(why_refused(document.dump()) ==
        "signatures format version 0 is older than this wsus-airgap reads (1)");
}

TEST_CASE("signatures.json with a malformed field is refused, naming the field") {
  using nlohmann::json;
  CHECK(why_refused("{").starts_with("is not valid JSON: "));
  CHECK(why_refused("[]") == "is not a JSON object");
  CHECK(why_refused(R"({"format_version":1,"format_version":1})") ==
        "has the field \"format_version\" twice in one object");
  CHECK(why_refused(std::string(kMaxManifestBytes + 1, ' ')) ==
        "is too large: 4194305 bytes; the limit is 4194304");

  auto document = valid_document();
  document.erase("format_version");
  CHECK(why_refused(document.dump()) == "lacks the field format_version");

  document = valid_document();
  document["extra"] = 1;
  CHECK(why_refused(document.dump()) == "has an unknown field extra");

  document = valid_document();
  document["algorithm"] = "rsa-sha256";
  CHECK(why_refused(document.dump()) ==
        "uses the signature algorithm \"rsa-sha256\"; wsus-airgap accepts only \"ed25519\"");

  document = valid_document();
  document["signatures"] = json::object();
  CHECK(why_refused(document.dump()) == "field signatures is not an array");

  document = valid_document();
  document["signatures"][0]["key_id"] = std::string(32, 'A');
  CHECK(why_refused(document.dump()) == "field signatures[0].key_id is not 32 lower-case hex characters");
  document["signatures"][0]["key_id"] = std::string(30, 'a');
  CHECK(why_refused(document.dump()) == "field signatures[0].key_id is not 32 lower-case hex characters");

  document = valid_document();
  document["signatures"][0]["signature"] = "not base64!";
  CHECK(why_refused(document.dump()) == "field signatures[0].signature is not standard base64");
  document["signatures"][0]["signature"] = to_base64(std::string(63, 'x'));
  CHECK(why_refused(document.dump()) ==
        "field signatures[0].signature decodes to 63 bytes; an Ed25519 signature is 64");
  document["signatures"][0]["signature"] = 42;
  CHECK(why_refused(document.dump()) == "field signatures[0].signature is not a string");

  document = valid_document();
  document["signatures"][0]["comment"] = "x";
  CHECK(why_refused(document.dump()) == "has an unknown field signatures[0].comment");

  document = valid_document();
  document["signatures"][0].erase("key_id");
  CHECK(why_refused(document.dump()) == "lacks the field signatures[0].key_id");

  document = valid_document();
  document["signatures"] = json::array();
  for (int i = 0; i < 65; ++i) document["signatures"].push_back(valid_document()["signatures"][0]);
  CHECK(why_refused(document.dump()) == "holds 65 signatures; the limit is 64");
}

TEST_CASE("a flipped byte in the manifest makes every signature invalid") {
  auto a = SigningKey::generate().value();
  auto b = SigningKey::generate().value();
  auto c = SigningKey::generate().value();
  TrustStore trust;
  for (const auto* key : {&a, &b, &c}) trust.add(key->public_key());
  std::vector<Signature> signatures{
      {a.key_id(), a.sign(kManifest)}, {b.key_id(), b.sign(kManifest)}, {c.key_id(), c.sign(kManifest)}};

  auto intact = check_signatures(kManifest, signatures, trust);
  CHECK(intact.valid == std::vector<KeyId>{a.key_id(), b.key_id(), c.key_id()});
  CHECK(intact.invalid.empty());
  CHECK(intact.meets(3));

  for (std::size_t position : {std::size_t{0}, kManifest.size() / 2, kManifest.size() - 1}) {
    std::string tampered = kManifest;
    tampered[position] = static_cast<char>(tampered[position] ^ 0x20);
    auto check = check_signatures(tampered, signatures, trust);
    INFO("flipped byte " << position);
    CHECK(check.valid.empty());
    CHECK(check.invalid == std::vector<KeyId>{a.key_id(), b.key_id(), c.key_id()});
    CHECK(check.untrusted.empty());
    CHECK_FALSE(check.meets(1));
  }
}

TEST_CASE("the threshold counts distinct trusted keys whose signature verifies, nothing else") {
  auto a = SigningKey::generate().value();
  auto b = SigningKey::generate().value();
  auto stranger = SigningKey::generate().value();
  TrustStore trust;
  trust.add(a.public_key());
  trust.add(b.public_key());

  // a twice (counts once), b over other bytes (invalid), a stranger's good signature (untrusted).
  std::vector<Signature> signatures{{a.key_id(), a.sign(kManifest)},
                                    {a.key_id(), a.sign(kManifest)},
                                    {b.key_id(), b.sign("other bytes")},
                                    {stranger.key_id(), stranger.sign(kManifest)},
                                    {stranger.key_id(), stranger.sign(kManifest)}};
  auto check = check_signatures(kManifest, signatures, trust);
  CHECK(check.valid == std::vector<KeyId>{a.key_id()});
  CHECK(check.invalid == std::vector<KeyId>{b.key_id()});
  CHECK(check.untrusted == std::vector<KeyId>{stranger.key_id()});
  CHECK(check.meets(1));
  CHECK_FALSE(check.meets(2));

  signatures.push_back({b.key_id(), b.sign(kManifest)});
  check = check_signatures(kManifest, signatures, trust);
  CHECK(check.valid == std::vector<KeyId>{a.key_id(), b.key_id()});
  CHECK(check.invalid == std::vector<KeyId>{b.key_id()});  // the bad copy is still reported
  CHECK(check.meets(2));
  CHECK_FALSE(check.meets(3));

  // A signature claiming a trusted key id but made by another key is invalid, not valid.
  check = check_signatures(kManifest, {{a.key_id(), stranger.sign(kManifest)}}, trust);
  CHECK(check.valid.empty());
  CHECK(check.invalid == std::vector<KeyId>{a.key_id()});
  CHECK(check_signatures(kManifest, {}, trust).meets(0));
  CHECK_FALSE(check_signatures(kManifest, {}, trust).meets(1));
}

TEST_CASE("a key given twice to the trust store counts once") {
  test::TestDir dir("trust-duplicates");
  auto key = SigningKey::generate().value();
  REQUIRE(key.save(dir / "signer").has_value());
  test::write_file(dir / "copy-of-signer.pub", test::read_file(dir / "signer.pub"));
  auto trust = TrustStore::load({dir / "signer.pub", dir / "copy-of-signer.pub", dir / "signer.pub"});
  REQUIRE(trust.has_value());
  REQUIRE(trust->keys().size() == 1);
  CHECK(trust->keys()[0].key_id() == key.key_id());
  REQUIRE(trust->find(key.key_id()) != nullptr);
  CHECK(trust->find(std::string(32, '0')) == nullptr);
  std::vector<Signature> twice{{key.key_id(), key.sign(kManifest)}, {key.key_id(), key.sign(kManifest)}};
  CHECK_FALSE(check_signatures(kManifest, twice, *trust).meets(2));
}

TEST_CASE("loading a trust store stops at the first bad key file and names it") {
  test::TestDir dir("trust-bad-file");
  REQUIRE(SigningKey::generate()->save(dir / "good").has_value());
  test::write_file(dir / "bad.pub", "hello\n");
  auto trust = TrustStore::load({dir / "good.pub", dir / "bad.pub"});
  REQUIRE_FALSE(trust.has_value());
  CHECK(trust.error().code == ExitCode::kOperational);
  CHECK(trust.error().what == (dir / "bad.pub").string());
}

TEST_CASE("signatures written and parsed back verify against the manifest bytes") {
  auto key = SigningKey::generate().value();
  TrustStore trust;
  trust.add(key.public_key());
  auto parsed = parse_signatures(serialize_signatures({{key.key_id(), key.sign(kManifest)}}), "s.json");
  REQUIRE(parsed.has_value());
  CHECK(check_signatures(kManifest, *parsed, trust).valid == std::vector<KeyId>{key.key_id()});
}
