#include "cli/command_support.h"

#include <cstdio>
#include <memory>

#include "cli/reports.h"
#include "state/ledger.h"

namespace wsa::cli {

Runner define_status(CLI::App& app) {
  struct Command {
    fs::path state;
    bool json = false;
  };
  auto command = std::make_shared<Command>();
  add_path_option(app, "--state", command->state, "Ledger (SQLite) to read");
  app.add_flag("--json", command->json, "Print the result as JSON");
  return [command]() {
    fs::path state = required_path(command->state, default_state("import-ledger.sqlite"), "--state");
    // Read-only: a missing ledger is reported ("there is no ledger here"), never created.
    auto ledger = value_or_throw(state::Ledger::open(state, state::LedgerAccess::kReadOnly));
    auto history = value_or_throw(ledger.history());
    print_status(ledger.ledger_id(), history, command->json);
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
