wsa_test_suite(mirror_tests
  SOURCES e2e/mirror_test.cpp e2e/import_resume_test.cpp
  LIBS wsa_manifest nlohmann_json::nlohmann_json)
