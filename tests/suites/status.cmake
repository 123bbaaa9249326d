wsa_test_suite(status_tests
  SOURCES e2e/status_test.cpp
  LIBS wsa_manifest nlohmann_json::nlohmann_json)
