// wsa-test-program: the one program the end-to-end tests hand to wsus-airgap where it starts one of
// its own (the step hook WSUS_AIRGAP_TEST_HOOK, a --server-query stand-in), so those tests run the
// same on Linux and on Windows (where no shell script can be started). What it does comes from the
// JSON plan named by WSA_TEST_PLAN (tests/support/scenario.h writes it):
//   {"when": "STEP",            act only when the first argument is STEP (absent: always)
//    "actions": [["kill-parent"],                  end the program that started this one (exit 137)
//                ["kill-parent-on", FILE, N],      append a line to FILE; the Nth time, kill-parent
//                ["scramble", FILE],               overwrite FILE with as many 'X' bytes
//                ["remove", FILE],                 delete FILE
//                ["append", FILE, TEXT],           append TEXT and a newline to FILE
//                ["print", FILE],                  copy FILE to standard output
//                ["say", TEXT],                    write TEXT and a newline to standard error
//                ["run", ERR, RC, PROGRAM, ARG...], run PROGRAM without a step hook, its standard
//                                                  error to ERR, its exit code (and a newline) to RC
//                ["exit", CODE]]}                  end with CODE
#ifdef _WIN32
#include <windows.h>
// windows.h first: tlhelp32.h needs its types.
#include <tlhelp32.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "common/platform.h"

namespace fs = boost::filesystem;

namespace {

std::string read_all(const fs::path& file) {
  fs::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "wsa-test-program: %s\n", why.c_str());
  std::exit(99);
}

// Ends the parent as SIGKILL would: abruptly, no cleanup, and with the exit code a shell reports for it.
void kill_parent() {
#ifdef _WIN32
  DWORD self = GetCurrentProcessId(), parent = 0;
  HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof entry;
  for (BOOL more = Process32FirstW(snapshot, &entry); more; more = Process32NextW(snapshot, &entry)) {
    if (entry.th32ProcessID == self) parent = entry.th32ParentProcessID;
  }
  CloseHandle(snapshot);
  HANDLE process = parent != 0 ? OpenProcess(PROCESS_TERMINATE, FALSE, parent) : nullptr;
  if (process == nullptr || !TerminateProcess(process, 137)) fail("cannot end the parent process");
  CloseHandle(process);
#else
  if (::kill(getppid(), SIGKILL) != 0) fail("cannot end the parent process");
#endif
}

void act(const std::vector<std::string>& action) {
  const std::string& verb = action.at(0);
  if (verb == "kill-parent") {
    kill_parent();
  } else if (verb == "kill-parent-on") {
    {
      fs::ofstream out(fs::path(action.at(1)), std::ios::binary | std::ios::app);
      out << "reached\n";
    }
    std::string lines = read_all(action.at(1));
    if (std::count(lines.begin(), lines.end(), '\n') >= std::stoi(action.at(2))) kill_parent();
  } else if (verb == "scramble") {
    auto size = fs::file_size(action.at(1));
    fs::ofstream out(fs::path(action.at(1)), std::ios::binary | std::ios::trunc);
    out << std::string(size, 'X');
  } else if (verb == "remove") {
    if (!fs::remove(action.at(1))) fail("cannot remove " + action.at(1));
  } else if (verb == "append") {
    fs::ofstream out(fs::path(action.at(1)), std::ios::binary | std::ios::app);
    out << action.at(2) << '\n';
  } else if (verb == "print") {
    std::string text = read_all(action.at(1));
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else if (verb == "say") {
    std::fprintf(stderr, "%s\n", action.at(1).c_str());
  } else if (verb == "run") {
    wsa::platform::ProcessOptions options;
    options.timeout = std::chrono::seconds(300);
    options.stderr_file = action.at(1);
    std::vector<std::string> args(action.begin() + 4, action.end());
#ifdef _WIN32
    _putenv_s("WSUS_AIRGAP_TEST_HOOK", "");
#else
    ::unsetenv("WSUS_AIRGAP_TEST_HOOK");
#endif
    auto ran = wsa::platform::run_process(action.at(3), args, options);
    if (!ran) fail(ran.error().message());
    fs::ofstream(fs::path(action.at(2)), std::ios::binary | std::ios::trunc) << ran->exit_code << '\n';
  } else if (verb == "exit") {
    std::fflush(stdout);
    std::exit(std::stoi(action.at(1)));
  } else {
    fail("unknown action " + verb);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = wsa::platform::utf8_arguments(argc, argv);
  auto plan_file = wsa::platform::environment("WSA_TEST_PLAN");
  if (!plan_file || plan_file->empty()) fail("WSA_TEST_PLAN names no plan");
  nlohmann::json plan;
  try {
    plan = nlohmann::json::parse(read_all(*plan_file));
    if (plan.contains("when") && (args.size() < 2 || args[1] != plan["when"].get<std::string>())) return 0;
    for (const auto& action : plan.at("actions")) act(action.get<std::vector<std::string>>());
  } catch (const std::exception& e) {
    fail(*plan_file + ": " + e.what());
  }
  return 0;
}
