wsa_test_suite(ledger_damage_tests
  SOURCES e2e/ledger_damage_test.cpp)
