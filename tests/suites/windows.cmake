# Windows only (MinGW-w64 cross build run under Wine by scripts/windows-test.sh): what only Windows has.
if(NOT WIN32)
  return()
endif()
wsa_test_suite(windows_tests
  SOURCES e2e/windows_test.cpp
  LIBS wsa_wsus wsa_manifest nlohmann_json::nlohmann_json
  # The registry tests change HKLM values, others install wsusutil.exe under C:\Program Files: one at a time.
  PROPERTIES RESOURCE_LOCK windows-machine)

find_program(WSA_OBJDUMP NAMES ${CMAKE_CXX_COMPILER_TARGET}-objdump x86_64-w64-mingw32-objdump objdump)
add_test(NAME "windows: wsus-airgap.exe imports only DLLs every Windows Server has"
  COMMAND ${CMAKE_COMMAND} -DOBJDUMP=${WSA_OBJDUMP} -DEXE=$<TARGET_FILE:wsus-airgap>
          -P ${CMAKE_SOURCE_DIR}/cmake/CheckImports.cmake)
