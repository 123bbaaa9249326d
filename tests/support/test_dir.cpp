#include "tests/support/test_dir.h"

// Catch2 2.x declares its listener interfaces only on request.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "tests/support/catch.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

namespace wsa::test {

namespace {
std::vector<fs::path>& pending() {
  static std::vector<fs::path> dirs;
  return dirs;
}

fs::path work_root() {
#ifdef E2E_WORK_ROOT
  return fs::path(E2E_WORK_ROOT);
#else
  return fs::temp_directory_path() / "wsus-airgap-tests";
#endif
}
}  // namespace

TestDir::TestDir(std::string_view name) {
  std::string safe;
  for (char c : name) safe.push_back(std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '-');
  if (safe.size() > 60) safe.resize(60);
  std::random_device entropy;
  path_ = work_root() / (safe + "-" + std::to_string(entropy() % 1000000));
  fs::create_directories(path_);
  pending().push_back(path_);
}

TestDir::~TestDir() = default;

void TestDir::finish_all(bool passed) {
  for (const auto& dir : pending()) {
    if (passed) {
      boost::system::error_code ignored;
      fs::remove_all(dir, ignored);
    } else {
      std::fprintf(stderr, "kept the failed test's folder: %s\n", dir.string().c_str());
    }
  }
  pending().clear();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path.string(), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path.string(), std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

}  // namespace wsa::test

namespace {

#if __has_include(<catch2/catch_all.hpp>)
using ListenerBase = Catch::EventListenerBase;
#else
using ListenerBase = Catch::TestEventListenerBase;
#endif

// A test's temp folder is removed when the test passes and kept (and named) when it fails, so the
// files, logs and packages of a failure can be inspected.
class KeepFailedTestDirs : public ListenerBase {
 public:
  using ListenerBase::ListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    wsa::test::TestDir::finish_all(stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(KeepFailedTestDirs)
