wsa_test_suite(volume_tests
  SOURCES unit/export_volume_writer_test.cpp
  LIBS wsa_export wsa_verify LibArchive::LibArchive)
