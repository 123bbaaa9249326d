wsa_test_suite(import_crash_tests
  SOURCES e2e/import_crash_test.cpp
  LIBS wsa_common nlohmann_json::nlohmann_json)
