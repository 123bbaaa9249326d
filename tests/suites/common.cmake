wsa_test_suite(common_tests
  SOURCES unit/common_encoding_test.cpp unit/common_digest_test.cpp
  LIBS wsa_common)
