wsa_test_suite(wsus_package_tests
  SOURCES unit/wsus_export_package_test.cpp unit/wsus_package_xml_test.cpp
  LIBS wsa_wsus ZLIB::ZLIB)
# Windows has no gcab: the tests' cabinets come from the simulator's writer there.
if(WIN32)
  target_link_libraries(wsus_package_tests PRIVATE wsa_sim)
endif()
