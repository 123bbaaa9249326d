wsa_test_suite(readonly_media_tests
  SOURCES e2e/readonly_media_test.cpp
  LIBS nlohmann_json::nlohmann_json)
