#include "cli/output.h"

#include <cstdio>

namespace wsa::cli {

void print_error(const Error& error) {
  std::fprintf(stderr, "wsus-airgap: error: %s\n", error.message().c_str());
}

void print_warning(const std::string& text) {
  std::fprintf(stderr, "wsus-airgap: warning: %s\n", text.c_str());
}

}  // namespace wsa::cli
