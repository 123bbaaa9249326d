#include "manifest/trust.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/strict_json.h"
#include "common/text.h"
#include "manifest/transfer_manifest.h"

namespace wsa::manifest {

using nlohmann::json;

namespace {
constexpr const char* kAlgorithm = "ed25519";
constexpr std::size_t kSignatureBytes = 64;

void add_once(std::vector<KeyId>& ids, const KeyId& id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}
}  // namespace

std::string serialize_signatures(const std::vector<Signature>& signatures) {
  json entries = json::array();
  for (const auto& signature : signatures) {
    entries.push_back(json{{"key_id", signature.key_id}, {"signature", to_base64(signature.signature)}});
  }
  json document{
      {"format_version", kSignaturesFormatVersion}, {"algorithm", kAlgorithm}, {"signatures", entries}};
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace detail {

std::vector<Signature> read_signature_array(const JsonObjectReader& holder) {
  const json& entries = holder.array("signatures");
  if (entries.size() > kMaxSignatures) {
    throw JsonRefusal{"holds " + std::to_string(entries.size()) + " signatures; the limit is " +
                      std::to_string(kMaxSignatures)};
  }
  std::vector<Signature> signatures;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    JsonObjectReader entry(entries[i], "signatures[" + std::to_string(i) + "].");
    entry.refuse_unknown({"key_id", "signature"});
    Signature signature;
    signature.key_id = entry.string("key_id");
    if (!is_lower_hex(signature.key_id, 32)) {
      throw JsonRefusal{"field " + entry.label("key_id") + " is not 32 lower-case hex characters"};
    }
    auto raw = from_base64(entry.string("signature"));
    if (!raw) throw JsonRefusal{"field " + entry.label("signature") + " is not standard base64"};
    if (raw->size() != kSignatureBytes) {
      throw JsonRefusal{"field " + entry.label("signature") + " decodes to " + std::to_string(raw->size()) +
                        " bytes; an Ed25519 signature is 64"};
    }
    signature.signature = std::move(*raw);
    signatures.push_back(std::move(signature));
  }
  return signatures;
}

}  // namespace detail

Result<std::vector<Signature>> parse_signatures(std::string_view text, const std::string& where) {
  try {
    json document = parse_strict_json(text, kMaxManifestBytes);
    JsonObjectReader top(document, "");
    // The version is read before anything else: a newer file may have fields this reader does not know.
    if (auto version = check_format_version(top, kSignaturesFormatVersion, "signatures", "signatures", where,
                                            "export the package again with a current wsus-airgap on the "
                                            "connected server");
        !version) {
      return std::unexpected(version.error());
    }
    top.refuse_unknown({"format_version", "algorithm", "signatures"});
    if (auto algorithm = top.string("algorithm"); algorithm != kAlgorithm) {
      throw JsonRefusal{"uses the signature algorithm \"" + printable(algorithm) +
                        "\"; wsus-airgap accepts only \"ed25519\""};
    }
    return detail::read_signature_array(top);
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, where, refusal.why,
                      "the signature file is damaged or was altered; do not import this package");
  }
}

Result<TrustStore> TrustStore::load(const std::vector<fs::path>& public_key_files) {
  TrustStore store;
  for (const auto& file : public_key_files) {
    auto key = PublicKey::load(file);
    if (!key) return std::unexpected(key.error());
    store.add(std::move(*key));
  }
  return store;
}

void TrustStore::add(PublicKey key) {
  auto id = key.key_id();
  if (id.empty()) return;
  // The same key given twice (or under two file names) must not count twice towards a threshold.
  bool known = std::any_of(keys_.begin(), keys_.end(), [&](const PublicKey& k) { return k.key_id() == id; });
  if (!known) keys_.push_back(std::move(key));
}

const PublicKey* TrustStore::find(const KeyId& id) const {
  auto found = std::find_if(keys_.begin(), keys_.end(), [&](const PublicKey& k) { return k.key_id() == id; });
  return found == keys_.end() ? nullptr : &*found;
}

SignatureCheck check_signatures(std::string_view manifest_bytes, const std::vector<Signature>& signatures,
                                const TrustStore& trust) {
  SignatureCheck check;
  for (const auto& signature : signatures) {
    const PublicKey* key = trust.find(signature.key_id);
    if (key == nullptr) {
      add_once(check.untrusted, signature.key_id);
    } else if (key->verify(manifest_bytes, signature.signature)) {
      add_once(check.valid, signature.key_id);
    } else {
      add_once(check.invalid, signature.key_id);
    }
  }
  return check;
}

}  // namespace wsa::manifest
