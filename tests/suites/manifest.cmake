wsa_test_suite(manifest_tests
  SOURCES unit/manifest_keys_test.cpp unit/manifest_trust_test.cpp unit/manifest_transfer_manifest_test.cpp
          unit/manifest_inventory_test.cpp unit/manifest_approvals_file_test.cpp
  LIBS wsa_manifest)
