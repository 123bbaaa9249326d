#include <string>
#include <utility>
#include <vector>

#include "tests/support/catch.h"
#include "tests/support/e2e.h"
#include "tests/support/test_dir.h"

using namespace wsa::test;

TEST_CASE("the version flag prints the program name and version and exits 0") {
  TestDir dir("version");
  auto result = run(airgap_binary(), {"--version"}, dir.path());
  CHECK(result.exit_code == 0);
  CHECK(result.out.rfind("wsus-airgap ", 0) == 0);
}

TEST_CASE("the help flag lists every subcommand") {
  TestDir dir("help");
  auto result = run(airgap_binary(), {"--help"}, dir.path());
  CHECK(result.exit_code == 0);
  for (const char* command : {"keygen", "export", "verify", "import", "gaps", "status"}) {
    CHECK(result.out.find(command) != std::string::npos);
  }
}

TEST_CASE("each subcommand has its own --help") {
  TestDir dir("sub-help");
  auto result = run(airgap_binary(), {"export", "--help"}, dir.path());
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("--volume-size") != std::string::npos);
}

TEST_CASE("an unknown command prints a hint with a suggestion and exits 2") {
  TestDir dir("unknown-command");
  auto result = run(airgap_binary(), {"exprot"}, dir.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("unknown command 'exprot' (did you mean 'export'?)") != std::string::npos);
  CHECK(result.err.find("Run 'wsus-airgap --help' for usage.") != std::string::npos);
}

TEST_CASE("an unknown option prints a hint naming the command and exits 2") {
  TestDir dir("unknown-option");
  auto result = run(airgap_binary(), {"verify", "--bogus"}, dir.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--bogus") != std::string::npos);
  CHECK(result.err.find("Run 'wsus-airgap verify --help' for usage.") != std::string::npos);
}

TEST_CASE("a missing required option is named and exits 2") {
  TestDir dir("missing-option");
  auto result = run(airgap_binary(), {"import", "--trust", "k.pub"}, dir.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("wsus-airgap: error: --media: is required") != std::string::npos);
  CHECK(result.err.find("run 'wsus-airgap import --help'") != std::string::npos);
}

TEST_CASE("every subcommand run bare names the option it needs first and exits 2") {
  TestDir dir("bare-commands");
  const std::vector<std::pair<std::string, std::string>> cases{{"keygen", "--out"},    {"export", "--media"},
                                                               {"verify", "--media"},  {"import", "--media"},
                                                               {"gaps", "--metadata"}, {"status", "--state"}};
  for (const auto& [command, option] : cases) {
    auto result = run(airgap_binary(), {command}, dir.path());
    INFO(command << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("wsus-airgap: error: " + option + ": is required") == 0);
  }
}

TEST_CASE("every numeric option refuses a value outside its range at parse time, naming the range") {
  TestDir dir("numeric-ranges");
  struct Case {
    std::vector<std::string> args;
    std::string range;
  };
  const std::vector<Case> cases{
      {{"export", "--expires-in-days", "-1"}, "'-1' is not a whole number from 1 to 3650"},
      {{"export", "--expires-in-days", "0"}, "'0' is not a whole number from 1 to 3650"},
      {{"export", "--expires-in-days", "3651"}, "'3651' is not a whole number from 1 to 3650"},
      {{"export", "--expires-in-days", "7d"}, "'7d' is not a whole number from 1 to 3650"},
      {{"import", "--max-delete", "-1"}, "'-1' is not a whole number from 0 to 10000000"},
      {{"import", "--max-delete", "18446744073709551615"},
       "'18446744073709551615' is not a whole number from 0 to 10000000"},
      {{"import", "--threshold", "-1"}, "'-1' is not a whole number from 1 to 64"},
      {{"import", "--threshold", "0"}, "'0' is not a whole number from 1 to 64"},
      {{"verify", "--threshold", "-1"}, "'-1' is not a whole number from 1 to 64"},
      {{"verify", "--threshold", "65"}, "'65' is not a whole number from 1 to 64"},
      {{"status", "--max-age", "0"}, "'0' is not a whole number from 1 to 3650"},
      {{"status", "--max-age", "3651"}, "'3651' is not a whole number from 1 to 3650"},
      {{"status", "--max-age", "7.5"}, "'7.5' is not a whole number from 1 to 3650"},
  };
  for (const auto& c : cases) {
    INFO(c.args[0] << " " << c.args[1] << " " << c.args[2]);
    auto result = run(airgap_binary(), c.args, dir.path());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(c.range) != std::string::npos);
    CHECK(result.err.find(c.args[1]) != std::string::npos);
  }
}
