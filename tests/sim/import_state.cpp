#include "tests/sim/import_state.h"

#include <boost/filesystem/operations.hpp>
#include <nlohmann/json.hpp>

#include <map>

#include "common/atomic_file.h"

namespace wsa::sim {

namespace {
using Json = nlohmann::ordered_json;
constexpr int kStateVersion = 1;
constexpr std::uintmax_t kMaxStateBytes = 1ULL << 30;
}  // namespace

Result<void> record_import(const fs::path& state, const fs::path& package,
                           const std::vector<PackagedUpdate>& updates, const std::string& imported_at) {
  Json json{{"format", "wsusutil-sim-state"},
            {"version", kStateVersion},
            {"updates", Json::array()},
            {"imports", Json::array()}};
  boost::system::error_code ec;
  if (fs::exists(state, ec)) {
    auto text = read_small_file(state, kMaxStateBytes);
    if (!text) return std::unexpected(text.error());
    Json existing = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (existing.is_discarded() || !existing.is_object() || existing.value("version", 0) != kStateVersion ||
        !existing.contains("updates") || !existing.at("updates").is_array() ||
        !existing.contains("imports") || !existing.at("imports").is_array()) {
      return make_error(ExitCode::kOperational, state.string(), "is not a version 1 simulator state file",
                        "remove it or point WSUSUTIL_SIM_STATE elsewhere");
    }
    json = std::move(existing);
  }

  // Keyed by update id so a re-import of a newer revision replaces the old entry in place.
  std::map<std::string, std::size_t> position;
  auto& recorded = json["updates"];
  for (std::size_t i = 0; i < recorded.size(); ++i) position[recorded[i].value("update_id", "")] = i;
  for (const auto& update : updates) {
    Json entry{{"update_id", update.update_id},
               {"revision", update.revision},
               {"title", update.title},
               {"imported_at", imported_at},
               {"package", package.string()}};
    if (auto it = position.find(update.update_id); it != position.end()) {
      recorded[it->second] = std::move(entry);
    } else {
      position[update.update_id] = recorded.size();
      recorded.push_back(std::move(entry));
    }
  }
  json["imports"].push_back(
      Json{{"package", package.string()}, {"imported_at", imported_at}, {"updates", updates.size()}});
  return write_file_atomically(state, json.dump(2) + "\n");
}

}  // namespace wsa::sim
