#include "cli/commands.h"

int main(int argc, char** argv) {
  return wsa::cli::run_main(argc, argv);
}
