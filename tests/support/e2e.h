#pragma once
// Runs the built wsus-airgap binary (and the simulator) and captures exit code, stdout and stderr.

#include <boost/filesystem/path.hpp>

#include <string>
#include <vector>

namespace wsa::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// True when `part` occurs in `text`: how the tests look for the words of a message.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `program args...` with stdout/stderr captured to files in `work_dir`.
RunResult run(const boost::filesystem::path& program, const std::vector<std::string>& args,
              const boost::filesystem::path& work_dir);

// Ends this test process as skipped (exit 77, which CTest reports as "Skipped"), saying why: a test
// that cannot run here must never look passed.
[[noreturn]] void skip_test(const std::string& reason);

// The built wsus-airgap and simulator binaries, and wsa-test-program (see test_program() in scenario.h).
boost::filesystem::path airgap_binary();
boost::filesystem::path simulator_binary();
boost::filesystem::path test_program_binary();

}  // namespace wsa::test
