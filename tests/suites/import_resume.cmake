wsa_test_suite(import_resume_tests
  SOURCES unit/import_ledger_resume_test.cpp
  LIBS wsa_state SQLite::SQLite3)
