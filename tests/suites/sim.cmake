wsa_test_suite(sim_tests
  SOURCES e2e/sim_generate_test.cpp e2e/sim_export_test.cpp e2e/sim_import_test.cpp e2e/sim_inspection.cpp
  LIBS wsa_common LibArchive::LibArchive ZLIB::ZLIB nlohmann_json::nlohmann_json)
