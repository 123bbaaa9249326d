wsa_test_suite(incremental_tests
  SOURCES e2e/incremental_test.cpp
  LIBS wsa_manifest nlohmann_json::nlohmann_json)
