wsa_test_suite(locks_tests
  SOURCES e2e/locks_test.cpp
  LIBS nlohmann_json::nlohmann_json)
