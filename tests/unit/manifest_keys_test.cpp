#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "manifest/keys.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"

using namespace wsa;
using namespace wsa::manifest;

namespace {

// Fixed foreign keys, made once with `openssl genpkey`: wsus-airgap must name them, not use them.
constexpr const char* kRsaPrivatePem = R"(-----BEGIN PRIVATE KEY-----
MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAss2eS2+K+/jM6lkY
5X0mjh81MLI4+K73ge94jQzdDdO1fikpZSV092EoEU3G0zzwjOUpp34fuvBzmwxr
amTq2QIDAQABAkAEQvZU4fG0E7f+leUMAzGaDZBc+sJ02ua3SBfddMMIA0uK5BIN
t8Cu32LlaTaXZKipGDZhKAWrUV1nxzu5lH4BAiEA2ZiY6623nrJsJDjkUQbaRv/V
Sqyy7QPWO2f3SReyujkCIQDSXEj0+6PbFWq6SnaSN128mlus7pmRObgX46doVfA1
oQIhANBgOdE4QqdO5hCqCrstfMqRJIimaZJgIkAxh7YPY7DBAiEAquViN/R/R6r8
i9+WuG7WbjSQqcslY0Aa+P1vsWmvvkECIGNaegKJOtfDSDhzjPttz3qbGW0lbm2l
d7A73Z6fOjnN
-----END PRIVATE KEY-----
)";
constexpr const char* kRsaPublicPem = R"(-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALLNnktvivv4zOpZGOV9Jo4fNTCyOPiu
94HveI0M3Q3TtX4pKWUldPdhKBFNxtM88IzlKad+H7rwc5sMa2pk6tkCAwEAAQ==
-----END PUBLIC KEY-----
)";
constexpr const char* kEd448PrivatePem = R"(-----BEGIN PRIVATE KEY-----
MEcCAQAwBQYDK2VxBDsEOY9uhoAJ0LAz3iQaNfL3HjJ6LDSq4DiP9HtAO7jdjVtg
T2GpQMlpp2vuQGnLsYYyA4712x4z8fatxQ==
-----END PRIVATE KEY-----
)";
constexpr const char* kEncryptedEd25519Pem = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhVqNIBC3KMHAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEEuxAcHm7PsTl2BOjbcVbsoEQCUf
jmh2Iuy5lZYAs8YVW9nxqZuRxBmDPQEtCs++w0scr+uYicf50V9d3/N0xAzEv/n2
nT4GeIzu0c690tFta3Q=
-----END ENCRYPTED PRIVATE KEY-----
)";

constexpr const char* kEd25519Refusal = "wsus-airgap signs with Ed25519 keys made by 'wsus-airgap keygen'";

std::string bytes(const char* hex) {
  return from_hex(hex).value();
}

}  // namespace

TEST_CASE("a generated key pair saves as .key and .pub and loads back with the same key id") {
  test::TestDir dir("keys-round-trip");
  auto key = SigningKey::generate();
  REQUIRE(key.has_value());
  REQUIRE(key->save(dir / "export-signer").has_value());

  auto key_text = test::read_file(dir / "export-signer.key");
  auto pub_text = test::read_file(dir / "export-signer.pub");
  CHECK(key_text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(pub_text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  CHECK(pub_text == key->public_key().pem());

  auto loaded = SigningKey::load(dir / "export-signer.key");
  REQUIRE(loaded.has_value());
  auto public_key = PublicKey::load(dir / "export-signer.pub");
  REQUIRE(public_key.has_value());
  CHECK(loaded->key_id() == key->key_id());
  CHECK(public_key->key_id() == key->key_id());
  CHECK(public_key->raw() == key->public_key().raw());
  // 32 lower-case hex characters: the first 16 bytes of SHA-256 over the raw public key.
  CHECK(key->key_id() == sha256_hex(key->public_key().raw()).substr(0, 32));
  CHECK(key->key_id() == to_hex_lower(from_hex(key->key_id()).value()));
  CHECK(key->key_id().size() == 32);
  // A signature made with the reloaded private key verifies with the reloaded public key.
  CHECK(public_key->verify("manifest bytes", loaded->sign("manifest bytes")));
}

#ifndef _WIN32
TEST_CASE("the private key file is readable by its owner only") {
  test::TestDir dir("keys-mode");
  REQUIRE(SigningKey::generate()->save(dir / "signer").has_value());
  auto mode = boost::filesystem::status(dir / "signer.key").permissions() & boost::filesystem::all_all;
  CHECK(mode == (boost::filesystem::owner_read | boost::filesystem::owner_write));
}
#endif

TEST_CASE("saving never overwrites an existing .key or .pub and leaves no half pair behind") {
  test::TestDir dir("keys-no-overwrite");
  auto key = SigningKey::generate().value();

  test::write_file(dir / "a.key", "old private key");
  auto refused = key.save(dir / "a");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ExitCode::kOperational);
  CHECK(refused.error().what == (dir / "a.key").string());
  CHECK(refused.error().why == "already exists; refusing to overwrite a key");
  CHECK(test::read_file(dir / "a.key") == "old private key");
  CHECK_FALSE(boost::filesystem::exists(dir / "a.pub"));

  test::write_file(dir / "b.pub", "old public key");
  refused = key.save(dir / "b");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().what == (dir / "b.pub").string());
  CHECK(test::read_file(dir / "b.pub") == "old public key");
  CHECK_FALSE(boost::filesystem::exists(dir / "b.key"));

  REQUIRE(key.save(dir / "c").has_value());
  refused = SigningKey::generate()->save(dir / "c");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().what == (dir / "c.key").string());
  CHECK(SigningKey::load(dir / "c.key")->key_id() == key.key_id());
  // Only the two key files: no temp file is left behind by the refusals.
  std::size_t files = 0;
  for (const auto& entry : boost::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 4);
}

TEST_CASE("saving into a folder that does not exist names the folder") {
  test::TestDir dir("keys-no-folder");
  auto refused = SigningKey::generate()->save(dir / "missing" / "signer");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().what == (dir / "missing").string());
  CHECK(refused.error().why == "is not an existing folder; cannot save the key pair");
}

TEST_CASE("loading refuses an RSA key, naming the file and what to use instead") {
  test::TestDir dir("keys-rsa");
  test::write_file(dir / "rsa.key", kRsaPrivatePem);
  test::write_file(dir / "rsa.pub", kRsaPublicPem);

  auto private_key = SigningKey::load(dir / "rsa.key");
  REQUIRE_FALSE(private_key.has_value());
  CHECK(private_key.error().code == ExitCode::kOperational);
  CHECK(private_key.error().what == (dir / "rsa.key").string());
  CHECK(private_key.error().why == std::string("is an RSA key; ") + kEd25519Refusal);

  auto public_key = PublicKey::load(dir / "rsa.pub");
  REQUIRE_FALSE(public_key.has_value());
  CHECK(public_key.error().what == (dir / "rsa.pub").string());
  CHECK(public_key.error().why == std::string("is an RSA key; ") + kEd25519Refusal);
}

TEST_CASE("loading refuses an Ed448 key by name") {
  test::TestDir dir("keys-ed448");
  test::write_file(dir / "ed448.key", kEd448PrivatePem);
  auto loaded = SigningKey::load(dir / "ed448.key");
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().why == std::string("is an Ed448 key; ") + kEd25519Refusal);
}

TEST_CASE("loading refuses an encrypted private key instead of prompting for a passphrase") {
  test::TestDir dir("keys-encrypted");
  test::write_file(dir / "enc.key", kEncryptedEd25519Pem);
  auto loaded = SigningKey::load(dir / "enc.key");
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().why ==
        "is an encrypted private key; wsus-airgap reads the unencrypted keys 'wsus-airgap keygen' makes");
}

TEST_CASE("loading refuses garbage, oversized and missing key files, naming each") {
  test::TestDir dir("keys-garbage");
  test::write_file(dir / "garbage.key", "not a key at all\n");
  test::write_file(dir / "garbage.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  test::write_file(dir / "huge.key", std::string(16 * 1024 + 1, 'A'));
  test::write_file(dir / "limit.key", std::string(16 * 1024, 'A'));

  auto garbage = SigningKey::load(dir / "garbage.key");
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().code == ExitCode::kOperational);
  CHECK(garbage.error().what == (dir / "garbage.key").string());
  CHECK(garbage.error().why == "is not a PEM private key (\"BEGIN PRIVATE KEY\")");

  auto garbage_pub = PublicKey::load(dir / "garbage.pub");
  REQUIRE_FALSE(garbage_pub.has_value());
  CHECK(garbage_pub.error().why == "is not a PEM public key (\"BEGIN PUBLIC KEY\")");

  auto huge = SigningKey::load(dir / "huge.key");
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().code == ExitCode::kOperational);
  CHECK(huge.error().why == "is larger than 16 KiB, so it is not a key file");
  auto huge_pub = PublicKey::load(dir / "huge.key");
  REQUIRE_FALSE(huge_pub.has_value());
  CHECK(huge_pub.error().why == "is larger than 16 KiB, so it is not a key file");
  // Exactly 16 KiB is read (and then refused as garbage, not as too large).
  CHECK(SigningKey::load(dir / "limit.key").error().why ==
        "is not a PEM private key (\"BEGIN PRIVATE KEY\")");

  auto missing = PublicKey::load(dir / "missing.pub");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ExitCode::kOperational);
  CHECK(missing.error().what == (dir / "missing.pub").string());
  CHECK(missing.error().why.starts_with("cannot open"));
}

TEST_CASE("swapped key files are named as swapped: a public key to sign, a private key to trust") {
  test::TestDir dir("keys-swapped");
  REQUIRE(SigningKey::generate()->save(dir / "k").has_value());
  auto as_private = SigningKey::load(dir / "k.pub");
  REQUIRE_FALSE(as_private.has_value());
  CHECK(as_private.error().why == "holds a public key; signing needs the private key");
  auto as_public = PublicKey::load(dir / "k.key");
  REQUIRE_FALSE(as_public.has_value());
  CHECK(as_public.error().why == "holds a private key; trust is given with the public key file");
}

TEST_CASE("a signature is 64 bytes and verifies only for the same message and the same key") {
  auto key = SigningKey::generate().value();
  auto other = SigningKey::generate().value();
  auto signature = key.sign("the exact manifest bytes\n");
  CHECK(signature.size() == 64);
  CHECK(key.sign("the exact manifest bytes\n") == signature);  // Ed25519 is deterministic
  CHECK(key.public_key().verify("the exact manifest bytes\n", signature));
  CHECK_FALSE(key.public_key().verify("the exact manifest bytes", signature));
  CHECK_FALSE(key.public_key().verify("the exact manifest bytes\n", signature.substr(0, 63)));
  CHECK_FALSE(other.public_key().verify("the exact manifest bytes\n", signature));
  auto flipped = signature;
  flipped[10] = static_cast<char>(flipped[10] ^ 0x01);
  CHECK_FALSE(key.public_key().verify("the exact manifest bytes\n", flipped));
  CHECK_FALSE(PublicKey().verify("the exact manifest bytes\n", signature));
}

TEST_CASE("the RFC 8032 test vector verifies and has the documented key id") {
  auto key = PublicKey::from_raw(bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  REQUIRE(key.has_value());
  CHECK(key->key_id() == "21fe31dfa154a261626bf854046fd227");
  CHECK(
      key->verify("", bytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
                            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")));
  CHECK_FALSE(
      key->verify("x", bytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33b"
                             "acc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")));
}

TEST_CASE("a raw public key must be 32 bytes") {
  auto short_key = PublicKey::from_raw(std::string(31, 'x'));
  REQUIRE_FALSE(short_key.has_value());
  CHECK(short_key.error().why == "is 31 bytes; expected 32");
}

TEST_CASE("a public key written as PEM loads back as the same key") {
  test::TestDir dir("keys-pem");
  auto key = SigningKey::generate().value();
  test::write_file(dir / "copy.pub", key.public_key().pem());
  CHECK(PublicKey::load(dir / "copy.pub")->key_id() == key.key_id());
}
