// The one Catch2 main for every test binary, plus the listener that keeps a failed test's folder.
#define CATCH_CONFIG_MAIN
#include "tests/support/catch.h"

#include "tests/support/test_dir.h"

namespace {

// A test's temp folder is removed when the test passes and kept (and named) when it fails, so the
// files, logs and packages of a failure can be inspected.
class KeepFailedTestDirs : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    wsa::test::TestDir::finish_all(stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(KeepFailedTestDirs)
