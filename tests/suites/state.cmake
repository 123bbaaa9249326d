wsa_test_suite(state_tests
  SOURCES unit/state_ledger_test.cpp unit/state_sqlite_test.cpp unit/state_ledger_file_test.cpp
          unit/state_metadata_checks_test.cpp
  LIBS wsa_state SQLite::SQLite3)
