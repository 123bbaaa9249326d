#pragma once
// One self-contained HTML page (inline CSS, no scripts, no external URLs) that an administrator can
// open from the media or attach to a ticket: the content gaps grouped by update, and the ledger's
// package history.

#include <string>
#include <vector>

#include "state/ledger.h"
#include "verify/gap_report.h"

namespace wsa::report {

// Where and when the report was made; every field is shown as text (escaped), empty ones are left out.
struct ReportContext {
  std::string title = "WSUS content gaps";  // page heading
  std::string content_dir;                  // the WsusContent folder checked
  std::string generated_utc;                // "2026-11-20T08:00:00Z"
  std::string host;                         // this machine's name
  std::string tool_version;                 // "wsus-airgap 0.1.0"
  std::string ledger;                       // the --state file the history comes from
};

// What an import did with the approvals a package carried (import's ApprovalsReport, as text).
struct ApprovalsSection {
  std::string package;
  bool applying = false;
  std::uint64_t approvals = 0, declines = 0, groups = 0, unchanged = 0;
  std::vector<std::string> applied, not_applied, planned, groups_created, missing_updates, eula_gaps, drift;
  std::string failure;
  std::vector<state::ApprovalSetRecord> history;  // every set the ledger recorded
};

// The whole page. `gaps` may be null (history only); `history` may be empty (no ledger given). All text
// from metadata, the ledger and the context is HTML-escaped, so a hostile title stays text.
// `approvals` may be null (the import carried none).
std::string render_gap_report_html(const verify::GapReport* gaps,
                                   const std::vector<state::RunRecord>& history, const ReportContext& context,
                                   const ApprovalsSection* approvals = nullptr);

// Escapes & < > " ' for use in HTML text and attribute values.
std::string escape_html(std::string_view text);

}  // namespace wsa::report
