#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "manifest/trust.h"
#include "verify/package_check.h"

namespace wsa::cli {

Runner define_verify(CLI::App& app) {
  // CLI11 fills the check's options; the media and keys are its arguments.
  struct Command {
    std::vector<fs::path> media, trust;
    verify::VerifyOptions options;
    bool json = false;
  };
  auto command = std::make_shared<Command>();
  add_path_option(app, "--media", command->media,
                  "Folder holding transfer packages (repeat for several; required)");
  add_path_option(app, "--trust", command->trust, "Trusted public key (repeat; required)");
  add_bounded_option(app, "--threshold", command->options.threshold, 1, kMaxThreshold,
                     "Distinct trusted signatures required (1 to 64; default 1)");
  app.add_flag("--json", command->json, "Print the result as JSON");
  return [command]() {
    require(command->media, "--media", "verify");
    require(command->trust, "--trust", "verify");
    auto trust = value_or_throw(manifest::TrustStore::load(command->trust));
    auto check = value_or_throw(verify::verify_media(command->media, trust, command->options));
    print_verify(check, command->json);
    if (check.packages.empty()) {
      fail(ExitCode::kOperational, "--media", "holds no complete wsus-airgap package",
           "give the folder that holds the wsus-airgap-NNNNNN package folders");
    }
    if (check.all_good()) return ExitCode::kSuccess;
    ExitCode worst = ExitCode::kIntegrity;
    for (const auto& entry : check.packages) {
      if (entry.error && entry.error->code != ExitCode::kIntegrity) worst = entry.error->code;
    }
    return worst;
  };
}

}  // namespace wsa::cli
