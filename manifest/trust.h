#pragma once
// Signatures over the exact manifest bytes, the set of trusted keys, and the threshold rule.

#include <boost/filesystem/path.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manifest/keys.h"

namespace wsa {
class JsonObjectReader;
}

namespace wsa::manifest {

// The signatures.json format this build writes and reads; older and newer are both refused.
inline constexpr int kSignaturesFormatVersion = 1;
// More signatures than any real threshold needs; bounds the work a hostile file can cause.
inline constexpr std::size_t kMaxSignatures = 64;

struct Signature {
  KeyId key_id;
  std::string signature;  // 64 raw bytes
};

// signatures.json: {"format_version":1,"algorithm":"ed25519","signatures":[{"key_id":..,"signature":base64}]}
std::string serialize_signatures(const std::vector<Signature>& signatures);
// Strict: at most 64 signatures, known fields only, exact sizes; `where` names the file in errors (exit 3).
Result<std::vector<Signature>> parse_signatures(std::string_view json, const std::string& where);

class TrustStore {
 public:
  // Loads each PEM public key; duplicate keys count once.
  static Result<TrustStore> load(const std::vector<fs::path>& public_key_files);
  void add(PublicKey key);
  const std::vector<PublicKey>& keys() const { return keys_; }
  // The trusted key with this id, or nullptr.
  const PublicKey* find(const KeyId& id) const;

 private:
  std::vector<PublicKey> keys_;
};

struct SignatureCheck {
  std::vector<KeyId> valid;      // distinct trusted keys whose signature verifies
  std::vector<KeyId> invalid;    // trusted keys whose signature does NOT verify (tampering)
  std::vector<KeyId> untrusted;  // signatures by keys not in the trust store
  bool meets(std::size_t threshold) const { return valid.size() >= threshold; }
};

namespace detail {
// Reads the "signatures" array of a signed file (signatures.json, a receipt) with its limits.
// Throws JsonRefusal (common/strict_json.h).
std::vector<Signature> read_signature_array(const JsonObjectReader& holder);
}  // namespace detail

// Checks every signature against the exact manifest bytes; a key id counts once per list however often it
// appears (a key listed twice with one good and one bad signature is in both `valid` and `invalid`).
SignatureCheck check_signatures(std::string_view manifest_bytes, const std::vector<Signature>& signatures,
                                const TrustStore& trust);

}  // namespace wsa::manifest
