#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "manifest/trust.h"
#include "verify/package_check.h"

namespace wsa::cli {

Runner define_verify(CLI::App& app) {
  struct Args {
    std::vector<std::string> media, trust;
    std::int64_t threshold = 1;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--media", args->media, "Folder holding transfer packages (repeat for several; required)");
  app.add_option("--trust", args->trust, "Trusted public key (repeat; required)");
  add_bounded_option(app, "--threshold", args->threshold, 1, kMaxThreshold,
                     "Distinct trusted signatures required (1 to 64; default 1)");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    require(args->media, "--media", "verify");
    require(args->trust, "--trust", "verify");
    auto trust = value_or_throw(manifest::TrustStore::load(to_paths(args->trust)));
    verify::VerifyOptions options;
    options.threshold = static_cast<std::size_t>(args->threshold);
    auto check = value_or_throw(verify::verify_media(to_paths(args->media), trust, options));
    print_verify(check, args->json);
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
