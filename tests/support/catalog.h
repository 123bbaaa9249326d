#pragma once
// What the gaps tests read from a scenario's generated catalog, and how a live-server query lists a file.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/scenario.h"

namespace wsa::test {

// One (update, file) pair of the catalog; `path` is the canonical "XX/<SHA1>.ext".
struct CatalogFile {
  std::string path, name, sha1, update_id, title, kb;
  std::uint64_t size = 0;
};

// Every (update, file) pair of the scenario's catalog, in its order.
std::vector<CatalogFile> catalog_files(const Scenario& scene);

// The file as the server query (and the stand-in WSUS API) lists it: no SHA-256, a WSUS download URI.
nlohmann::json failed_update_file(const CatalogFile& file);

}  // namespace wsa::test
