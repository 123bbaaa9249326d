#pragma once
// An end-to-end scene: a connected server's generated WsusContent and catalog, a signing key, media
// folders and an offline server, all inside one TestDir, driven through the built binaries.

#include <boost/filesystem/path.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/support/e2e.h"
#include "tests/support/test_dir.h"

namespace wsa::test {

namespace fs = boost::filesystem;

// Sets an environment variable for this test process and the programs it starts.
void set_env(const std::string& name, const std::string& value);

// Relative path -> SHA-256 of every file below `root` (empty when it does not exist).
std::map<std::string, std::string> snapshot(const fs::path& root);

// Generates a WsusContent of `files` files of up to 4 KiB in `dir`/WsusContent, its catalog beside it,
// from `seed`, with the simulator; throws (failing the test) with the simulator's words when it fails.
fs::path generate_content(const TestDir& dir, int files, unsigned seed);

// Arms wsa-test-program (tests/support/test_program_main.cpp, which lists the actions) for the programs
// wsus-airgap starts itself: writes the JSON plan `actions` (acted on only when its first argument is
// `when`; empty: always) to `plan`, points WSA_TEST_PLAN at it and returns the program's path, to give
// as WSUS_AIRGAP_TEST_HOOK (common/test_hook.h; `when` is then the step) or as --server-query.
fs::path test_program(const fs::path& plan, const std::string& when,
                      const std::vector<std::vector<std::string>>& actions);

class Scenario {
 public:
  // Generates `updates` updates' content with the simulator (seed fixed) and a signing key "signer".
  explicit Scenario(const std::string& name, int updates = 12,
                    const std::vector<std::string>& generate_extra = {});

  fs::path root() const { return dir_.path(); }
  fs::path connected() const { return dir_ / "connected" / "WsusContent"; }
  fs::path offline() const { return dir_ / "offline" / "WsusContent"; }
  fs::path media() const { return dir_ / "usb"; }
  fs::path catalog() const { return dir_ / "connected" / "catalog.json"; }
  fs::path export_state() const { return dir_ / "connected" / "export-ledger.sqlite"; }
  fs::path import_state() const { return dir_ / "offline" / "import-ledger.sqlite"; }
  fs::path key(const std::string& name = "signer") const { return dir_ / "keys" / (name + ".key"); }
  fs::path pub(const std::string& name = "signer") const { return dir_ / "keys" / (name + ".pub"); }
  fs::path package(int sequence) const;

  RunResult airgap(const std::vector<std::string>& args) const;
  RunResult sim(const std::vector<std::string>& args) const;
  RunResult keygen(const std::string& name) const;
  // export --content connected --media usb --key signer --state ... --wsusutil sim, plus `extra`.
  RunResult export_package(const std::vector<std::string>& extra = {}) const;
  // import --media usb --content offline --trust signer.pub --state ... --wsusutil sim, plus `extra`.
  RunResult import_packages(const std::vector<std::string>& extra = {}) const;
  RunResult verify_media(const std::vector<std::string>& extra = {}) const;

 private:
  TestDir dir_;
};

}  // namespace wsa::test
