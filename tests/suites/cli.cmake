wsa_test_suite(cli_tests
  SOURCES e2e/cli_test.cpp
  LIBS wsa_common)
