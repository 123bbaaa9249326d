#include "tests/support/e2e.h"

#include <cstdio>
#include <cstdlib>

#include "common/platform.h"
#include "tests/support/test_dir.h"

namespace wsa::test {

RunResult run(const boost::filesystem::path& program, const std::vector<std::string>& args,
              const boost::filesystem::path& work_dir) {
  platform::ProcessOptions options;
  options.timeout = std::chrono::seconds(600);
  options.stdout_file = work_dir / "last-stdout.txt";
  options.stderr_file = work_dir / "last-stderr.txt";
  RunResult result;
  auto process = platform::run_process(program, args, options);
  if (!process) {
    result.err = process.error().message();
    return result;
  }
  result.exit_code = process->timed_out ? -1 : process->exit_code;
  result.out = read_file(options.stdout_file);
  result.err = read_file(options.stderr_file);
  return result;
}

boost::filesystem::path airgap_binary() {
  return WSUS_AIRGAP_BINARY;
}

boost::filesystem::path simulator_binary() {
  return WSUSUTIL_SIM_BINARY;
}

void skip_test(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  std::exit(77);
}

}  // namespace wsa::test
