#pragma once
// A per-test temp folder: removed when the test passes, kept and printed when it fails.

#include <boost/filesystem/path.hpp>

#include <string>
#include <string_view>

namespace wsa::test {

namespace fs = boost::filesystem;

class TestDir {
 public:
  // Creates `<root>/<sanitised name>-<random>`; root is E2E_WORK_ROOT or the system temp folder.
  explicit TestDir(std::string_view name);
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  ~TestDir();

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& child) const { return path_ / child; }

  // Called by the Catch2 listener when a test case ends.
  static void finish_all(bool passed);

 private:
  fs::path path_;
};

// Whole-file helpers for assertions.
std::string read_file(const fs::path& path);
void write_file(const fs::path& path, std::string_view contents);

}  // namespace wsa::test
