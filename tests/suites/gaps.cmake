wsa_test_suite(gaps_unit_tests
  SOURCES unit/verify_gap_report_test.cpp
  LIBS wsa_report wsa_verify nlohmann_json::nlohmann_json)
wsa_test_suite(gaps_tests
  SOURCES e2e/gaps_test.cpp e2e/html_report_test.cpp e2e/unreadable_package_test.cpp
  LIBS wsa_manifest wsa_state nlohmann_json::nlohmann_json ZLIB::ZLIB)
