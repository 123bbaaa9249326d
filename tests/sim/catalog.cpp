#include "tests/sim/catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "common/atomic_file.h"
#include "common/encoding.h"

namespace wsa::sim {

namespace {

using Json = nlohmann::ordered_json;

// Catalogs are test inputs, but a bench catalog of 100,000 updates is tens of megabytes.
constexpr std::uintmax_t kMaxCatalogBytes = 1ULL << 30;

struct KnownClassification {
  const char* name;
  const char* id;
};

// The classification GUIDs every WSUS server knows (they are the same on all servers).
constexpr KnownClassification kClassifications[] = {
    {"Critical Updates", "e6cf1350-c01b-414d-a61f-263d14d133b4"},
    {"Security Updates", "0fa1201d-4330-4fa8-8ae9-b877473b6441"},
    {"Definition Updates", "e0789628-ce08-4437-be74-2495b842f43b"},
    {"Update Rollups", "28bc880e-0592-4cbf-8f95-c79b17911d5f"},
    {"Updates", "cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83"},
    {"Feature Packs", "b54e7d24-7add-428f-8b75-90a396fa584f"},
    {"Service Packs", "68c5b0a3-d1a6-4553-ae49-01d3a7827828"},
    {"Tools", "b4832bd8-e735-4761-8daf-37f882276dab"},
    {"Drivers", "ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0"},
    {"Upgrades", "3689bdc8-b205-4af4-8d4a-a63924c5e9d5"},
};

bool is_lower_guid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool is_digits(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string to_upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string to_lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads the typed fields; a wrong type or missing key raises, and the caller names the entry.
std::string required_string(const Json& object, const char* key) {
  if (!object.contains(key)) throw std::runtime_error(std::string("missing \"") + key + "\"");
  if (!object.at(key).is_string()) throw std::runtime_error(std::string("\"") + key + "\" is not a string");
  return object.at(key).get<std::string>();
}

std::string optional_string(const Json& object, const char* key) {
  if (!object.contains(key) || object.at(key).is_null()) return {};
  if (!object.at(key).is_string()) throw std::runtime_error(std::string("\"") + key + "\" is not a string");
  return object.at(key).get<std::string>();
}

std::uint64_t required_unsigned(const Json& object, const char* key) {
  if (!object.contains(key)) throw std::runtime_error(std::string("missing \"") + key + "\"");
  if (!object.at(key).is_number_unsigned()) {
    throw std::runtime_error(std::string("\"") + key + "\" is not a non-negative integer");
  }
  return object.at(key).get<std::uint64_t>();
}

CatalogFile parse_file(const Json& entry) {
  CatalogFile file;
  file.name = required_string(entry, "name");
  file.size = required_unsigned(entry, "size");
  // Hand-written catalogs may use either case; the rest of the simulator relies on the canonical one.
  file.sha1 = to_upper(required_string(entry, "sha1"));
  file.sha256 = to_lower(required_string(entry, "sha256"));
  if (file.name.empty() || file.name.find_first_of("/\\") != std::string::npos) {
    throw std::runtime_error("file name \"" + file.name + "\" is empty or contains a path separator");
  }
  if (file.sha1.size() != 40 || !is_hex(file.sha1)) throw std::runtime_error("\"sha1\" is not 40 hex digits");
  if (file.sha256.size() != 64 || !is_hex(file.sha256)) {
    throw std::runtime_error("\"sha256\" is not 64 hex digits");
  }
  return file;
}

CatalogUpdate parse_update(const Json& entry) {
  if (!entry.is_object()) throw std::runtime_error("is not an object");
  CatalogUpdate update;
  update.update_id = to_lower(required_string(entry, "update_id"));
  if (!is_lower_guid(update.update_id)) throw std::runtime_error("\"update_id\" is not a GUID");
  const std::uint64_t revision = required_unsigned(entry, "revision");
  if (revision > 0xFFFFFFFFULL) throw std::runtime_error("\"revision\" does not fit in 32 bits");
  update.revision = static_cast<std::uint32_t>(revision);
  update.title = required_string(entry, "title");
  update.kb = optional_string(entry, "kb");
  if (!is_digits(update.kb)) throw std::runtime_error("\"kb\" is not digits only");
  update.classification = optional_string(entry, "classification");
  update.classification_id = to_lower(optional_string(entry, "classification_id"));
  if (update.classification_id.empty())
    update.classification_id = classification_id_for(update.classification);
  if (!update.classification_id.empty() && !is_lower_guid(update.classification_id)) {
    throw std::runtime_error("\"classification_id\" is not a GUID");
  }
  update.product = optional_string(entry, "product");
  update.product_id = to_lower(optional_string(entry, "product_id"));
  if (!update.product_id.empty() && !is_lower_guid(update.product_id)) {
    throw std::runtime_error("\"product_id\" is not a GUID");
  }
  if (!entry.contains("files") || !entry.at("files").is_array())
    throw std::runtime_error("\"files\" is not a list");
  std::size_t index = 0;
  for (const auto& file : entry.at("files")) {
    try {
      update.files.push_back(parse_file(file));
    } catch (const std::exception& e) {
      throw std::runtime_error("files[" + std::to_string(index) + "]: " + e.what());
    }
    ++index;
  }
  return update;
}

}  // namespace

std::string CatalogFile::content_path() const {
  std::string path = sha1.substr(38, 2) + "/" + sha1;
  if (auto dot = name.rfind('.'); dot != std::string::npos) path += name.substr(dot);
  return path;
}

std::vector<CatalogFile> Catalog::distinct_files() const {
  std::vector<CatalogFile> files;
  std::unordered_set<std::string> seen;
  for (const auto& update : updates) {
    for (const auto& file : update.files) {
      if (seen.insert(file.sha1).second) files.push_back(file);
    }
  }
  return files;
}

std::string classification_id_for(const std::string& classification) {
  for (const auto& known : kClassifications) {
    if (classification == known.name) return known.id;
  }
  return {};
}

Result<Catalog> load_catalog(const fs::path& path) {
  auto text = read_small_file(path, kMaxCatalogBytes);
  if (!text) return std::unexpected(text.error());
  Json json = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return make_error(ExitCode::kOperational, path.string(),
                      "is not a JSON object (not a simulator catalog)");
  }
  Catalog catalog;
  std::string where = "top level";
  try {
    if (json.contains("version") && json.at("version") != kCatalogVersion) {
      throw std::runtime_error("catalog version " + json.at("version").dump() +
                               " is not the supported version " + std::to_string(kCatalogVersion));
    }
    catalog.server_id = to_lower(optional_string(json, "server_id"));
    if (catalog.server_id.empty()) catalog.server_id = "00000000-0000-0000-0000-000000000000";
    if (!is_lower_guid(catalog.server_id)) throw std::runtime_error("\"server_id\" is not a GUID");
    catalog.creation_time = optional_string(json, "creation_time");
    if (catalog.creation_time.empty()) catalog.creation_time = "2026-01-01T00:00:00Z";
    if (!json.contains("updates") || !json.at("updates").is_array()) {
      throw std::runtime_error("\"updates\" is not a list");
    }
    std::size_t index = 0;
    for (const auto& entry : json.at("updates")) {
      where = "updates[" + std::to_string(index) + "]";
      catalog.updates.push_back(parse_update(entry));
      ++index;
    }
  } catch (const std::exception& e) {
    return make_error(ExitCode::kOperational, path.string(), where + ": " + e.what());
  }
  return catalog;
}

std::string catalog_to_json(const Catalog& catalog) {
  Json json;
  json["format"] = "wsusutil-sim-catalog";
  json["version"] = kCatalogVersion;
  json["server_id"] = catalog.server_id;
  json["creation_time"] = catalog.creation_time;
  Json updates = Json::array();
  for (const auto& update : catalog.updates) {
    Json entry;
    entry["update_id"] = update.update_id;
    entry["revision"] = update.revision;
    entry["title"] = update.title;
    entry["kb"] = update.kb;
    entry["classification"] = update.classification;
    entry["classification_id"] = update.classification_id;
    entry["product"] = update.product;
    entry["product_id"] = update.product_id;
    Json files = Json::array();
    for (const auto& file : update.files) {
      files.push_back(
          Json{{"name", file.name}, {"size", file.size}, {"sha1", file.sha1}, {"sha256", file.sha256}});
    }
    entry["files"] = std::move(files);
    updates.push_back(std::move(entry));
  }
  json["updates"] = std::move(updates);
  return json.dump(2) + "\n";
}

}  // namespace wsa::sim
