#pragma once
// Rewriting a package's signed manifest in a test, as an attacker holding the key (or a buggy exporter)
// could. Header-only: only suites that link wsa_manifest include it.

#include <boost/filesystem/path.hpp>

#include <functional>

#include "manifest/keys.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "tests/support/scenario.h"

namespace wsa::test {

// Rewrites package `sequence`'s manifest through `edit` and signs it again with the scenario's key.
inline void resign_manifest(const Scenario& scene, int sequence,
                            const std::function<void(wsa::manifest::TransferManifest&)>& edit) {
  boost::filesystem::path dir = scene.package(sequence);
  auto manifest = wsa::manifest::parse_manifest(read_file(dir / "manifest.json"), "manifest").value();
  edit(manifest);
  std::string bytes = wsa::manifest::serialize_manifest(manifest);
  auto key = wsa::manifest::SigningKey::load(scene.key()).value();
  write_file(dir / "manifest.json", bytes);
  write_file(dir / "signatures.json", wsa::manifest::serialize_signatures({{key.key_id(), key.sign(bytes)}}));
}

}  // namespace wsa::test
