wsa_test_suite(verify_tests
  SOURCES unit/verify_sequence_chain_test.cpp
  LIBS wsa_verify)
