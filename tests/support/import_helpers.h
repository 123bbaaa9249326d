#pragma once
// Helpers for the import end-to-end tests (mirror, receipts, resume): making a month-2 package by
// changing the connected tree, and reading the import's JSON report.

#include <boost/filesystem/operations.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

namespace wsa::test {

// Writes a content file that no catalog entry names (its bytes from `seed`) under `root` as
// XX/<SHA1>.cab and returns that canonical path.
inline std::string add_unreferenced_file(const fs::path& root, unsigned seed, std::size_t size = 40000) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  fs::path temp = root / ("new-" + std::to_string(seed));
  write_file(temp, bytes);
  std::string sha1 = hash_file(temp).value().sha1_hex;
  std::string path = sha1.substr(38) + "/" + sha1 + ".cab";
  fs::create_directories(root / sha1.substr(38));
  fs::rename(temp, root / path);
  return path;
}

// The canonical paths of every file below a WsusContent folder, sorted.
inline std::vector<std::string> content_paths(const fs::path& root) {
  std::vector<std::string> paths;
  for (const auto& [path, sha] : snapshot(root)) paths.push_back(path);
  return paths;
}

inline nlohmann::json parse_json(const RunResult& result) {
  INFO(result.out);
  INFO(result.err);
  return nlohmann::json::parse(result.out);
}

inline std::vector<std::string> strings(const nlohmann::json& array) {
  return array.get<std::vector<std::string>>();
}

}  // namespace wsa::test
