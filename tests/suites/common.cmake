wsa_test_suite(common_tests
  SOURCES unit/common_encoding_test.cpp unit/common_digest_test.cpp unit/common_text_test.cpp
          unit/common_strict_json_test.cpp unit/common_platform_test.cpp
  LIBS wsa_common)
