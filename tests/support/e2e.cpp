#include "tests/support/e2e.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/platform.h"
#include "tests/support/test_dir.h"

namespace wsa::test {

namespace {

// A Windows console program writes its standard output and error in text mode, each line ending in
// CRLF as Windows tools do; the tests compare lines, so CRLF reads as LF there. Files the programs
// write are compared byte for byte elsewhere and are not touched.
std::string console_text(std::string text) {
#ifdef _WIN32
  std::string lines;
  lines.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lines.push_back(text[i]);
  }
  return lines;
#else
  return text;
#endif
}

}  // namespace

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
  result.out = console_text(read_file(options.stdout_file));
  result.err = console_text(read_file(options.stderr_file));
  return result;
}

boost::filesystem::path airgap_binary() {
  return WSUS_AIRGAP_BINARY;
}

boost::filesystem::path simulator_binary() {
  return WSUSUTIL_SIM_BINARY;
}

boost::filesystem::path test_program_binary() {
  return WSA_TEST_PROGRAM_BINARY;
}

void skip_test(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  std::exit(77);
}

}  // namespace wsa::test
