wsa_test_suite(roundtrip_tests
  SOURCES e2e/roundtrip_test.cpp
  LIBS wsa_manifest nlohmann_json::nlohmann_json)
