// The Catch2 main for every test binary. Catch2 3.x (vcpkg) brings its own main through the
// Catch2::Catch2WithMain target instead; the listener that keeps a failed test's folder lives beside
// TestDir (test_dir.cpp) so it is linked either way.
#if !__has_include(<catch2/catch_all.hpp>)
#define CATCH_CONFIG_MAIN
#include "tests/support/catch.h"
#endif
