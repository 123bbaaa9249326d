wsa_test_suite(wsus_package_tests
  SOURCES unit/wsus_export_package_test.cpp unit/wsus_package_xml_test.cpp
  LIBS wsa_wsus ZLIB::ZLIB)
