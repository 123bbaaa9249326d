// The Catch2 main for every test binary. Catch2 3.x (vcpkg) brings its own main through the
// Catch2::Catch2WithMain target instead; the listener that keeps a failed test's folder lives beside
// TestDir (test_dir.cpp) so it is linked either way.
#if !__has_include(<catch2/catch_all.hpp>)
#define CATCH_CONFIG_RUNNER
#include "common/platform.h"
#include "tests/support/catch.h"

int main(int argc, char** argv) {
  // On Windows: narrow Boost paths and console output in UTF-8, as in wsus-airgap.exe itself.
  wsa::platform::utf8_arguments(argc, argv);
  return Catch::Session().run(argc, argv);
}
#endif
