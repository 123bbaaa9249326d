#pragma once
// The one table of subcommands: each entry adds its options to a CLI11 subcommand and runs it.

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "common/error.h"

namespace wsa::cli {

struct Command {
  const char* name;
  const char* summary;
  // Declares the options on `app` and returns the function that runs the command once parsed.
  std::function<std::function<ExitCode()>(CLI::App& app)> define;
};

std::span<const Command> command_table();

// Parses argv, runs the chosen command, prints errors; returns the process exit code.
int run_main(int argc, char** argv);

}  // namespace wsa::cli
