wsa_test_suite(receipt_tests
  SOURCES unit/manifest_receipt_test.cpp
  LIBS wsa_manifest)
