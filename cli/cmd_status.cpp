#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "state/ledger.h"

namespace wsa::cli {

Runner define_status(CLI::App& app) {
  struct Args {
    std::string state;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--state", args->state, "Ledger (SQLite) to read");
  app.add_flag("--json", args->json, "Print the result as JSON");
  return [args]() {
    fs::path state = required_path(args->state, default_state("import-ledger.sqlite"), "--state");
    boost::system::error_code ec;
    if (!fs::exists(state, ec)) {
      fail(ExitCode::kOperational, state.string(), "does not exist",
           "give the --state file that export or import used");
    }
    auto ledger = value_or_throw(state::Ledger::open(state));
    auto history = value_or_throw(ledger.history());
    print_status(ledger.ledger_id(), history, args->json);
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
