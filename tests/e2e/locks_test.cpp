// Locks name the thing, not the spelling: a second import of the same content folder or ledger,
// spelled with a trailing separator or through a symbolic link, is refused while the first runs.
#include <boost/filesystem/operations.hpp>

#include <string>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// A hook that, once the first import has verified its packages (and holds its locks), runs a second
// import with `content` and `state` and leaves its exit code and error output in the test folder.
fs::path second_import_hook(const Scenario& scene, const std::string& content, const std::string& state) {
  return test_program(
      scene.root() / "second-import.json", "verified",
      {{"run", (scene.root() / "second.err").string(), (scene.root() / "second.rc").string(),
        airgap_binary().string(), "import", "--media", scene.media().string(), "--content", content,
        "--trust", scene.pub().string(), "--state", state, "--wsusutil", simulator_binary().string()}});
}

}  // namespace

TEST_CASE("a second import of one content folder spelled another way is refused while the first runs") {
  Scenario scene("lock-spelling", 6);
  REQUIRE(scene.export_package().exit_code == 0);
  fs::create_directories(scene.offline());
  fs::path link = scene.root() / "content-link";
  fs::create_directory_symlink(scene.offline(), link);
  struct Case {
    std::string content, state, locked;
  };
  const std::string other_state = (scene.root() / "other-ledger.sqlite").string();
  for (const auto& c : {Case{scene.offline().string() + "/", other_state, "WsusContent.wsus-airgap.lock"},
                        Case{link.string(), other_state, "WsusContent.wsus-airgap.lock"},
                        Case{(scene.root() / "offline" / "." / "WsusContent").string(), other_state,
                             "WsusContent.wsus-airgap.lock"},
                        Case{(scene.root() / "elsewhere").string(),
                             (scene.root() / "offline" / ".." / "offline" / "import-ledger.sqlite").string(),
                             "import-ledger.sqlite.lock"}}) {
    INFO("second run: --content " << c.content << " --state " << c.state);
    fs::create_directories(scene.root() / "elsewhere");
    fs::remove(scene.root() / "second.rc");
    set_env("WSUS_AIRGAP_TEST_HOOK", second_import_hook(scene, c.content, c.state).string());
    auto first = scene.import_packages({"--dry-run"});
    set_env("WSUS_AIRGAP_TEST_HOOK", "");
    INFO(first.err);
    CHECK(first.exit_code == 0);
    CHECK(read_file(scene.root() / "second.rc") == "1\n");
    std::string second = read_file(scene.root() / "second.err");
    CHECK(contains(second, c.locked));
    CHECK(contains(second, "another"));
  }
}
