#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/platform.h"

int main(int argc, char** argv) {
  std::vector<std::string> args = wsa::platform::utf8_arguments(argc, argv);
  std::vector<char*> pointers;
  for (auto& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  return wsa::cli::run_main(static_cast<int>(args.size()), pointers.data());
}
