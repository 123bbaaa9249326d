wsa_test_suite(two_sources_tests
  SOURCES e2e/two_sources_test.cpp
  LIBS nlohmann_json::nlohmann_json)
