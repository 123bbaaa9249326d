// Offline sticks are often write-protected: an import that cannot write its receipt onto the media
// still applies the package, writes --receipt-out and --request-out, warns, and exits with the
// import's own result; --no-media-receipt leaves the media receipt out.
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <string>

#include "tests/support/catch.h"
#include "tests/support/import_helpers.h"
#include "tests/support/scenario.h"

using namespace wsa::test;
namespace fs = boost::filesystem;

namespace {

// Makes `folder` a read-only bind mount of itself for the scope (as a write-protected stick is).
class ReadOnlyMount {
 public:
  explicit ReadOnlyMount(const fs::path& folder) : folder_(folder) {
#ifdef _WIN32
    // Under Wine /bin/mount is a Linux program, started without a process to wait for.
    skip_test("write-protected media is a read-only bind mount (mount(8)), which Windows has not");
#endif
    auto bound = run("/bin/mount", {"--bind", folder.string(), folder.string()}, folder.parent_path());
    if (bound.exit_code != 0) skip_test("cannot bind-mount (needs root and mount(8)): " + bound.err);
    auto ro = run("/bin/mount", {"-o", "remount,ro,bind", folder.string()}, folder.parent_path());
    if (ro.exit_code != 0) {
      unmount();
      skip_test("cannot remount read-only: " + ro.err);
    }
  }
  ReadOnlyMount(const ReadOnlyMount&) = delete;
  ReadOnlyMount& operator=(const ReadOnlyMount&) = delete;
  ~ReadOnlyMount() {
    unmount();
  }

 private:
  void unmount() {
    run("/bin/umount", {folder_.string()}, folder_.parent_path());
  }
  fs::path folder_;
};

std::vector<std::string> receipts_on(const fs::path& media) {
  std::vector<std::string> names;
  for (fs::directory_iterator it(media), end; it != end; ++it) {
    std::string name = it->path().filename().string();
    if (name.starts_with("wsus-airgap-receipt-")) names.push_back(name);
  }
  return names;
}

}  // namespace

TEST_CASE("an import from write-protected media still applies, writes the receipt elsewhere and warns") {
  Scenario scene("readonly-media", 8, {"--missing", "2"});
  REQUIRE(scene.export_package().exit_code == 0);
  fs::path receipt_out = scene.root() / "receipt.json";
  fs::path request_out = scene.root() / "request.json";
  RunResult imported;
  {
    ReadOnlyMount read_only(scene.media());
    imported = scene.import_packages(
        {"--receipt-out", receipt_out.string(), "--request-out", request_out.string(), "--json"});
  }
  INFO(imported.err);
  CHECK(imported.exit_code == 5);  // the import's own result: files are missing on the export side too
  auto report = parse_json(imported);
  CHECK(report["packages"][0]["result"] == "applied");
  CHECK(report["receipts"] == nlohmann::json::array({receipt_out.string()}));
  CHECK(report["request"] == request_out.string());
  REQUIRE(report["warnings"].size() == 1);
  std::string warning = report["warnings"][0];
  CHECK(contains(warning, "could not be written onto the media"));
  CHECK(contains(warning, "Read-only file system"));
  CHECK(contains(warning, "write-protected"));
  CHECK(fs::is_regular_file(receipt_out));
  CHECK(fs::is_regular_file(request_out));
  CHECK(receipts_on(scene.media()).empty());
}

TEST_CASE("an import with --no-media-receipt leaves the receipt off the media and writes --receipt-out") {
  Scenario scene("no-media-receipt", 6);
  REQUIRE(scene.export_package().exit_code == 0);
  fs::path receipt_out = scene.root() / "receipt.json";
  auto imported = scene.import_packages({"--no-media-receipt", "--receipt-out", receipt_out.string()});
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  CHECK(imported.err.find("warning") == std::string::npos);
  CHECK(fs::is_regular_file(receipt_out));
  CHECK(receipts_on(scene.media()).empty());
}
