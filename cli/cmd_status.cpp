#include "cli/command_support.h"

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
    // Read-only: a missing ledger is reported ("there is no ledger here"), never created.
    auto ledger = value_or_throw(state::Ledger::open(state, state::LedgerAccess::kReadOnly));
    auto history = value_or_throw(ledger.history());
    auto approval_sets = value_or_throw(ledger.approval_history());
    print_status(ledger.ledger_id(), history, args->json, approval_sets);
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
