#pragma once
// How results and errors reach the user: `wsus-airgap: error: <what>: <why>` on stderr.

#include <string>

#include "common/error.h"

namespace wsa::cli {

void print_error(const Error& error);
void print_warning(const std::string& text);

}  // namespace wsa::cli
