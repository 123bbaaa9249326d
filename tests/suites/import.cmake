wsa_test_suite(import_tests
  SOURCES unit/import_content_placer_test.cpp unit/import_approval_plan_test.cpp unit/import_staging_test.cpp
  LIBS wsa_import LibArchive::LibArchive)
