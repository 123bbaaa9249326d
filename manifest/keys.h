#pragma once
// Ed25519 signing keys, public keys and their ids (fingerprints).

#include <boost/filesystem/path.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace wsa::manifest {

namespace fs = boost::filesystem;

// A key id: the first 16 bytes of SHA-256 over the raw 32-byte public key, as 32 lower-case hex
// characters. Printed by keygen, written into signatures, shown in every trust message.
using KeyId = std::string;

class PublicKey {
 public:
  // Reads a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) file; refuses other key types and files over 16 KiB.
  static Result<PublicKey> load(const fs::path& pem_file);
  static Result<PublicKey> from_raw(std::string_view raw32);
  std::string raw() const;  // 32 bytes
  KeyId key_id() const;
  std::string pem() const;
  // True when `signature` (64 raw bytes) is this key's Ed25519 signature of exactly `message`.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

class SigningKey {
 public:
  static Result<SigningKey> generate();
  // Reads a PEM "PRIVATE KEY" (PKCS#8) Ed25519 file; refuses other key types and files over 16 KiB.
  static Result<SigningKey> load(const fs::path& pem_file);
  // Writes `<prefix>.key` (owner-only permissions) and `<prefix>.pub`; never overwrites either.
  Result<void> save(const fs::path& prefix) const;
  PublicKey public_key() const;
  KeyId key_id() const { return public_key().key_id(); }
  // 64-byte raw Ed25519 signature over exactly `message`.
  std::string sign(std::string_view message) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace wsa::manifest
