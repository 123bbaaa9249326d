#include "common/test_hook.h"

#include <string>

#include "common/platform.h"

namespace wsa {

void reached_step(std::string_view step) {
  // Read on every call (not cached): a step is reached a handful of times per run.
  auto program = platform::environment("WSUS_AIRGAP_TEST_HOOK");
  if (!program || program->empty()) return;
  platform::ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  (void)platform::run_process(boost::filesystem::path(*program), {std::string(step)}, options);
}

}  // namespace wsa
