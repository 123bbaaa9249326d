#include "tests/support/scenario.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdlib>
#include <stdexcept>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/digest.h"

namespace wsa::test {

fs::path test_program(const fs::path& plan, const std::string& when,
                      const std::vector<std::vector<std::string>>& actions) {
  nlohmann::json document = {{"actions", actions}};
  if (!when.empty()) document["when"] = when;
  write_file(plan, document.dump());
  set_env("WSA_TEST_PLAN", plan.string());
  return test_program_binary();
}

fs::path generate_content(const TestDir& dir, int files, unsigned seed) {
  fs::path content = dir / "WsusContent";
  auto generated = run(simulator_binary(),
                       {"generate", "--catalog", (dir / "catalog.json").string(), "--content",
                        content.string(), "--seed", std::to_string(seed), "--updates",
                        std::to_string(files / 2), "--files", std::to_string(files), "--max-size", "4K"},
                       dir.path());
  if (generated.exit_code != 0) {
    throw std::runtime_error("wsusutil-sim generate exited " + std::to_string(generated.exit_code) + ": " +
                             generated.err);
  }
  return content;
}

void set_env(const std::string& name, const std::string& value) {
#ifdef _WIN32
  _putenv_s(name.c_str(), value.c_str());
#else
  ::setenv(name.c_str(), value.c_str(), 1);
#endif
}

std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  if (!fs::exists(root)) return files;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (!fs::is_regular_file(it->status())) continue;
    std::string relative = fs::relative(it->path(), root).generic_string();
    files[relative] = sha256_file(it->path()).value();
  }
  return files;
}

Scenario::Scenario(const std::string& name, int updates, const std::vector<std::string>& generate_extra)
    : dir_(name) {
  fs::create_directories(dir_ / "connected");
  fs::create_directories(offline());
  fs::create_directories(media());
  fs::create_directories(dir_ / "keys");
  set_env("WSUSUTIL_SIM_CATALOG", catalog().string());
  set_env("WSUSUTIL_SIM_STATE", (dir_ / "offline" / "wsus-database.json").string());
  set_env("WSUSUTIL_SIM_FAIL", "");
  std::vector<std::string> args = {"generate",
                                   "--catalog",
                                   catalog().string(),
                                   "--content",
                                   connected().string(),
                                   "--seed",
                                   "7",
                                   "--updates",
                                   std::to_string(updates),
                                   "--max-size",
                                   "2M"};
  args.insert(args.end(), generate_extra.begin(), generate_extra.end());
  auto generated = sim(args);
  if (generated.exit_code != 0) throw std::runtime_error("wsusutil-sim generate failed: " + generated.err);
  auto made = keygen("signer");
  if (made.exit_code != 0) throw std::runtime_error("keygen failed: " + made.err);
}

fs::path Scenario::package(int sequence) const {
  char name[32];
  std::snprintf(name, sizeof name, "wsus-airgap-%06d", sequence);
  return media() / name;
}

RunResult Scenario::airgap(const std::vector<std::string>& args) const {
  return run(airgap_binary(), args, dir_.path());
}

RunResult Scenario::sim(const std::vector<std::string>& args) const {
  return run(simulator_binary(), args, dir_.path());
}

RunResult Scenario::keygen(const std::string& name) const {
  return airgap({"keygen", "--out", (dir_ / "keys" / name).string()});
}

RunResult Scenario::export_package(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      "export",       "--content", connected().string(),    "--media",    media().string(),           "--key",
      key().string(), "--state",   export_state().string(), "--wsusutil", simulator_binary().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return airgap(args);
}

RunResult Scenario::import_packages(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      "import",       "--media", media().string(),        "--content",  offline().string(),         "--trust",
      pub().string(), "--state", import_state().string(), "--wsusutil", simulator_binary().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return airgap(args);
}

RunResult Scenario::verify_media(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"verify", "--media", media().string(), "--trust", pub().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return airgap(args);
}

}  // namespace wsa::test
