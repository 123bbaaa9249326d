wsa_test_suite(verify_tests
  SOURCES unit/verify_sequence_chain_test.cpp unit/verify_content_store_test.cpp
    unit/verify_store_listing_test.cpp
  LIBS wsa_verify wsa_state)
