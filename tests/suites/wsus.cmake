wsa_test_suite(wsus_tests
  SOURCES unit/wsus_content_name_test.cpp unit/wsus_powershell_runner_test.cpp
  LIBS wsa_wsus)
