#pragma once
// Catch2 2.x (Debian) or 3.x (vcpkg): the tests use the API common to both.
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
