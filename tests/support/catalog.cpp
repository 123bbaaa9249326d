#include "tests/support/catalog.h"

#include "tests/support/test_dir.h"

namespace wsa::test {

using nlohmann::json;

std::vector<CatalogFile> catalog_files(const Scenario& scene) {
  std::vector<CatalogFile> files;
  json catalog = json::parse(read_file(scene.catalog()));
  for (const auto& update : catalog["updates"]) {
    for (const auto& file : update["files"]) {
      std::string sha1 = file["sha1"];
      std::string name = file["name"];
      files.push_back({sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.')), name, sha1,
                       update["update_id"], update["title"], update["kb"], file["size"]});
    }
  }
  return files;
}

json failed_update_file(const CatalogFile& file) {
  return {{"name", file.name},
          {"sha1", file.sha1},
          {"sha256", nullptr},
          {"size", file.size},
          {"uri", "http://wsus:8530/Content/" + file.path}};
}

}  // namespace wsa::test
