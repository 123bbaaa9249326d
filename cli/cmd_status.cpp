#include "cli/command_support.h"

#include <ctime>
#include <memory>

#include "cli/output.h"
#include "cli/status_report.h"
#include "state/ledger.h"

namespace wsa::cli {

inline constexpr std::int64_t kMaxAgeDaysCap = 3650;  // ten years: the longest any package may be valid

Runner define_status(CLI::App& app) {
  struct Command {
    fs::path state;
    std::int64_t max_age_days = 0;  // 0: not given
    bool json = false;
  };
  auto command = std::make_shared<Command>();
  add_path_option(app, "--state", command->state, "Ledger (SQLite) to read");
  add_bounded_option(app, "--max-age", command->max_age_days, 1, kMaxAgeDaysCap,
                     "Exit 9 if a source's newest applied (or exported) package was made more than DAYS ago, "
                     "or none was (1 to 3650)");
  app.add_flag("--json", command->json, "Print the result as JSON");
  return [command]() {
    fs::path state = required_path(command->state, default_state("import-ledger.sqlite"), "--state");
    // Read-only: a missing ledger is reported ("there is no ledger here"), never created.
    auto ledger = value_or_throw(state::Ledger::open(state, state::LedgerAccess::kReadOnly));
    auto history = value_or_throw(ledger.history());
    std::optional<std::int64_t> max_age;
    if (command->max_age_days > 0) max_age = command->max_age_days;
    auto ages = judge_freshness(value_or_throw(ledger.freshness()), std::time(nullptr), max_age);
    print_status(ledger.ledger_id(), history, ages, max_age, command->json,
                 value_or_throw(ledger.approval_history()));
    if (!max_age) return ExitCode::kSuccess;
    bool stale = ages.empty();
    if (ages.empty()) {
      print_error({ExitCode::kStale, state.string(), "records no export or import run at all",
                   "check --state names the ledger the scheduled import uses"});
    }
    for (const auto& age : ages) {
      if (!age.stale) continue;
      stale = true;
      print_error({ExitCode::kStale, age.what, age.why_stale,
                   age.source.kind == state::RunKind::kImport
                       ? "carry a newer package from the connected server and import it"
                       : "run export on the connected server"});
    }
    return stale ? ExitCode::kStale : ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
