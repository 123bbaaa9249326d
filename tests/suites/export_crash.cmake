wsa_test_suite(export_crash_tests
  SOURCES e2e/export_crash_test.cpp
  LIBS wsa_common nlohmann_json::nlohmann_json)
