#pragma once
// Fault injection for the end-to-end tests: a pipeline announces each named step it reaches, and a
// test can act at exactly that moment (change the media, kill the run) instead of racing a timer.

#include <string_view>

namespace wsa {

// When the environment variable WSUS_AIRGAP_TEST_HOOK names a program, runs it with `step` as its one
// argument and waits for it; otherwise does nothing. Its exit code is ignored: the hook acts on the
// world (files, this process), never on the pipeline's decisions.
void reached_step(std::string_view step);

}  // namespace wsa
