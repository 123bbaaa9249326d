# Included by the top-level CMakeLists.txt before the product folders when WSUS_AIRGAP_FUZZ is on:
# every library is instrumented for libFuzzer's coverage and checked by AddressSanitizer and
# UndefinedBehaviorSanitizer. Needs clang (scripts/fuzz.sh configures build-fuzz/ with clang++-19).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "WSUS_AIRGAP_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-19")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
