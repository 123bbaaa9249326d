wsa_test_suite(media_swap_tests
  SOURCES e2e/media_swap_test.cpp
  LIBS nlohmann_json::nlohmann_json)
