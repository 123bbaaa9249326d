wsa_test_suite(import_resume_tests
  SOURCES unit/state_import_resume_test.cpp
  LIBS wsa_state SQLite::SQLite3)
