wsa_test_suite(gap_loop_tests
  SOURCES e2e/gap_loop_test.cpp e2e/metadata_check_test.cpp
  LIBS nlohmann_json::nlohmann_json)
