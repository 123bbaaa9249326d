#pragma once
// `status`: the run history, and per source how old its newest applied package is, judged against
// `--max-age` for Task Scheduler or a monitoring system.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "state/ledger.h"

namespace wsa::cli {

// One source's freshness as `status` reports it.
struct SourceAge {
  state::SourceFreshness source;
  std::optional<double> applied_age_days;  // of the package last applied (or exported); none if never
  std::optional<double> seen_age_days;     // of the newest package seen (import side)
  bool stale = false;                      // only with a maximum age
  std::string what;                        // "source 1a2b3c4d (import)"
  std::string why_stale;                   // one line giving the package, when it was made and the limit
};

// Ages at `now` (seconds since the epoch). The age of what was applied is that of the package (when
// it was made on the connected side), else of the run that applied it: a package made weeks ago is
// stale even if imported today. With `max_age_days` a source is stale when older, or never applied.
std::vector<SourceAge> judge_freshness(const std::vector<state::SourceFreshness>& sources, std::int64_t now,
                                       std::optional<std::int64_t> max_age_days);

// `approval_sets`: what imports applied to the offline WSUS server's approvals (an import ledger's).
void print_status(const std::string& ledger_id, const std::vector<state::RunRecord>& history,
                  const std::vector<SourceAge>& ages, std::optional<std::int64_t> max_age_days, bool json,
                  const std::vector<state::ApprovalSetRecord>& approval_sets = {});

}  // namespace wsa::cli
