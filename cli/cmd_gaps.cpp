#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "wsus_airgap_version.h"

namespace wsa::cli {

Runner define_gaps(CLI::App& app) {
  app.add_option("--content", "WsusContent folder to check");
  app.add_option("--metadata", "wsusutil export package that lists the expected files");
  app.add_flag("--json")->description("Print the result as JSON");
  return []() -> ExitCode {
    fail(ExitCode::kOperational, "'gaps'",
         std::string("this command is not built yet in wsus-airgap ") + WSUS_AIRGAP_VERSION,
         "'import' already reports files missing after each package");
  };
}

}  // namespace wsa::cli
