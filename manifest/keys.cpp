#include "manifest/keys.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <boost/filesystem/operations.hpp>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/platform.h"

namespace wsa::manifest {

namespace {

constexpr std::size_t kRawKeySize = 32;
constexpr std::size_t kSignatureSize = 64;
constexpr std::uintmax_t kMaxKeyFileBytes = 16 * 1024;
constexpr const char* kKeygenHint = "make a key pair with 'wsus-airgap keygen --out <prefix>'";

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) {
  return {key, &EVP_PKEY_free};
}

// Private key text is wiped from memory once used, so it does not linger in freed heap pages.
struct SecretText {
  std::string text;
  ~SecretText() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

// An encrypted key would otherwise make OpenSSL prompt on the console; refuse it instead.
int no_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return -1;
}

std::string kind_of_key(int base_id) {
  switch (base_id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "an RSA key";
    case EVP_PKEY_EC:
      return "an EC (ECDSA) key";
    case EVP_PKEY_DSA:
      return "a DSA key";
    case EVP_PKEY_ED448:
      return "an Ed448 key";
    case EVP_PKEY_X25519:
      return "an X25519 key";
    default: {
      const char* name = OBJ_nid2sn(base_id);
      return name != nullptr ? std::string("a ") + name + " key" : "an unknown kind of key";
    }
  }
}

Result<std::string> read_key_file(const fs::path& file) {
  auto text = read_small_file(file, kMaxKeyFileBytes);
  if (!text) {
    // read_small_file calls an oversized file hostile media; for a key named on the command line it
    // is a wrong-file mistake the user fixes, so it is operational.
    if (text.error().code == ExitCode::kIntegrity) {
      return make_error(ExitCode::kOperational, file.string(),
                        "is larger than 16 KiB, so it is not a key file", kKeygenHint);
    }
    return std::unexpected(text.error());
  }
  return text;
}

Result<void> require_ed25519(const EVP_PKEY* key, const fs::path& file) {
  int base_id = EVP_PKEY_get_base_id(key);
  if (base_id == EVP_PKEY_ED25519) return {};
  return make_error(
      ExitCode::kOperational, file.string(),
      "is " + kind_of_key(base_id) + "; wsus-airgap signs with Ed25519 keys made by 'wsus-airgap keygen'",
      kKeygenHint);
}

// The one key in PEM `text`, read by `read` (PEM_read_bio_PUBKEY or PEM_read_bio_PrivateKey); an
// error naming `pem_file` unless it is an Ed25519 key. `kind` says what the file should have held.
using PemReader = EVP_PKEY* (*)(BIO*, EVP_PKEY**, pem_password_cb*, void*);
Result<std::shared_ptr<EVP_PKEY>> read_ed25519_pem(std::string_view text, const fs::path& pem_file,
                                                   PemReader read, const char* kind) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return make_error(ExitCode::kOperational, pem_file.string(), "out of memory reading the key");
  EVP_PKEY* raw = read(bio.get(), nullptr, &no_passphrase, nullptr);
  ERR_clear_error();
  if (raw == nullptr) {
    return make_error(ExitCode::kOperational, pem_file.string(), std::string("is not a PEM ") + kind,
                      kKeygenHint);
  }
  auto key = own(raw);
  if (auto checked = require_ed25519(raw, pem_file); !checked) return std::unexpected(checked.error());
  return key;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

fs::path with_suffix(const fs::path& prefix, const char* suffix) {
  fs::path path = prefix;
  path += suffix;
  return path;
}

}  // namespace

Result<PublicKey> PublicKey::load(const fs::path& pem_file) {
  auto text = read_key_file(pem_file);
  if (!text) return std::unexpected(text.error());
  if (text->find("PRIVATE KEY-----") != std::string::npos) {
    OPENSSL_cleanse(text->data(), text->size());
    return make_error(ExitCode::kOperational, pem_file.string(),
                      "holds a private key; trust is given with the public key file",
                      "give the '.pub' file that 'wsus-airgap keygen' wrote beside the '.key' file");
  }
  auto pkey = read_ed25519_pem(*text, pem_file, &PEM_read_bio_PUBKEY, "public key (\"BEGIN PUBLIC KEY\")");
  if (!pkey) return std::unexpected(pkey.error());
  PublicKey key;
  key.key_ = std::move(*pkey);
  return key;
}

Result<PublicKey> PublicKey::from_raw(std::string_view raw32) {
  if (raw32.size() != kRawKeySize) {
    return make_error(ExitCode::kIntegrity, "Ed25519 public key",
                      "is " + std::to_string(raw32.size()) + " bytes; expected 32");
  }
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw32.data()), raw32.size());
  ERR_clear_error();
  if (raw == nullptr) return make_error(ExitCode::kIntegrity, "Ed25519 public key", "is not a valid key");
  PublicKey key;
  key.key_ = own(raw);
  return key;
}

std::string PublicKey::raw() const {
  if (!key_) return {};
  std::string out(kRawKeySize, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()), &length) != 1 ||
      length != kRawKeySize) {
    ERR_clear_error();
    return {};
  }
  return out;
}

KeyId PublicKey::key_id() const {
  auto bytes = raw();
  if (bytes.empty()) return {};
  return sha256_hex(bytes).substr(0, 32);
}

std::string PublicKey::pem() const {
  if (!key_) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return bio_contents(bio.get());
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (!key_ || signature.size() != kSignatureSize) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // Ed25519 hashes internally: no digest is named (NULL md), and the one-shot call is required.
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

Result<SigningKey> SigningKey::generate() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    ERR_clear_error();
    return make_error(ExitCode::kOperational, "Ed25519 key", "OpenSSL could not generate a key pair");
  }
  SigningKey key;
  key.key_ = own(raw);
  return key;
}

Result<SigningKey> SigningKey::load(const fs::path& pem_file) {
  auto read = read_key_file(pem_file);
  if (!read) return std::unexpected(read.error());
  SecretText text{std::move(*read)};
  if (text.text.find("ENCRYPTED PRIVATE KEY-----") != std::string::npos) {
    return make_error(
        ExitCode::kOperational, pem_file.string(),
        "is an encrypted private key; wsus-airgap reads the unencrypted keys 'wsus-airgap keygen' makes",
        "protect the key with file permissions on the export server instead of a passphrase");
  }
  if (text.text.find("BEGIN PUBLIC KEY-----") != std::string::npos) {
    return make_error(ExitCode::kOperational, pem_file.string(),
                      "holds a public key; signing needs the private key",
                      "give the '.key' file that 'wsus-airgap keygen' wrote beside the '.pub' file");
  }
  auto pkey =
      read_ed25519_pem(text.text, pem_file, &PEM_read_bio_PrivateKey, "private key (\"BEGIN PRIVATE KEY\")");
  if (!pkey) return std::unexpected(pkey.error());
  SigningKey key;
  key.key_ = std::move(*pkey);
  return key;
}

Result<void> SigningKey::save(const fs::path& prefix) const {
  if (!key_) return make_error(ExitCode::kOperational, prefix.string(), "no key to save");
  const fs::path key_file = with_suffix(prefix, ".key");
  const fs::path pub_file = with_suffix(prefix, ".pub");
  if (auto folder = key_file.parent_path(); !folder.empty()) {
    boost::system::error_code ec;
    if (!fs::is_directory(folder, ec)) {
      return make_error(ExitCode::kOperational, folder.string(),
                        "is not an existing folder; cannot save the key pair",
                        "create the folder first or choose another --out prefix");
    }
  }
  // Both are checked before anything is written, so a refusal leaves no half pair behind.
  for (const auto& file : {key_file, pub_file}) {
    boost::system::error_code ec;
    if (fs::exists(fs::symlink_status(file, ec))) {
      return make_error(ExitCode::kOperational, file.string(), "already exists; refusing to overwrite a key",
                        "choose another --out prefix, or move the old key pair away first");
    }
  }

  SecretText private_pem;
  {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      ERR_clear_error();
      return make_error(ExitCode::kOperational, key_file.string(),
                        "OpenSSL could not encode the private key");
    }
    private_pem.text = bio_contents(bio.get());
  }
  std::string public_pem = public_key().pem();

  auto key_out = AtomicFile::create(key_file);
  if (!key_out) return std::unexpected(key_out.error());
  // The temp file is restricted while still empty: the private bytes are never world-readable.
  if (auto restricted = platform::restrict_to_owner(key_out->temp_path()); !restricted) return restricted;
  if (auto written = key_out->write(private_pem.text); !written) return written;
  auto pub_out = AtomicFile::create(pub_file);
  if (!pub_out) return std::unexpected(pub_out.error());
  if (auto written = pub_out->write(public_pem); !written) return written;

  if (auto committed = key_out->commit(/*replace=*/false); !committed) return committed;
  if (auto committed = pub_out->commit(/*replace=*/false); !committed) {
    // A private key without its public half is useless and would block a retry with the same prefix.
    boost::system::error_code ignored;
    fs::remove(key_file, ignored);
    return committed;
  }
  return {};
}

PublicKey SigningKey::public_key() const {
  if (!key_) return {};
  std::string raw(kRawKeySize, '\0');
  std::size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &length) != 1) {
    ERR_clear_error();
    return {};
  }
  return value_or_throw(PublicKey::from_raw(raw));
}

std::string SigningKey::sign(std::string_view message) const {
  if (!key_) fail(ExitCode::kOperational, "Ed25519 signing key", "no key loaded");
  std::string signature(kSignatureSize, '\0');
  std::size_t length = signature.size();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
            length == kSignatureSize;
  ERR_clear_error();
  if (!ok) fail(ExitCode::kOperational, "Ed25519 signing key", "OpenSSL could not sign the manifest");
  return signature;
}

}  // namespace wsa::manifest
