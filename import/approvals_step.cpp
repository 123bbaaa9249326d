// The approvals step of the import (import/import_steps.h): settings first, changes after wsusutil.

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/test_hook.h"
#include "import/approval_plan.h"
#include "import/import_steps.h"

namespace wsa::importing {

namespace {

std::set<AppliedKey> applied_before(state::Ledger& ledger) {
  std::set<AppliedKey> keys;
  for (auto& row : value_or_throw(ledger.applied_approvals()))
    keys.insert({std::move(row.update_id), row.revision, std::move(row.group_id)});
  return keys;
}

ApprovalPlan make_plan(const ApprovalsContext& context, const wsus::ServerApprovalState& offline,
                       const ImportOptions& options, const std::set<AppliedKey>& before) {
  PlanInputs inputs;
  inputs.package = &context.file.state;
  inputs.offline = &offline;
  inputs.content = options.content;
  inputs.applied_before = before;
  inputs.mirror = options.approvals_mirror;
  return value_or_throw(plan_approvals(inputs));
}

void record_set(const ApprovalsContext& context, const ApprovalsReport& report, const std::string& result,
                const std::set<AppliedKey>& in_place, state::Ledger& ledger) {
  const auto& m = context.package->verified.manifest;
  state::ApprovalSetRecord set;
  set.source_id = m.source_id;
  set.sequence = m.sequence;
  set.manifest_sha256 = context.package->verified.manifest_sha256;
  set.result = result;
  set.applied = report.applied.size();
  set.not_applied = report.not_applied.size();
  set.unchanged = report.unchanged;
  set.drift = report.drift.size();
  set.eula_gaps = report.eula_gaps.size();
  set.missing_updates = report.missing_updates.size();
  set.summary = std::to_string(report.approvals) + " approval(s) and " + std::to_string(report.declines) +
                " decline(s) stated; " + std::to_string(report.applied.size()) + " change(s) applied, " +
                std::to_string(report.unchanged) + " already so";
  if (!report.failure.empty()) set.summary += "; stopped: " + report.failure;
  std::vector<state::AppliedApproval> rows;
  for (const auto& key : in_place) rows.push_back({key.update_id, key.revision, key.group_id});
  value_or_throw(ledger.record_approval_set(set, rows));
}

}  // namespace

std::optional<ApprovalsContext> check_server_settings(const ImportOptions& options,
                                                      const std::vector<PendingPackage>& pending,
                                                      ImportReport& report) {
  if (options.approvals == ApprovalsMode::kSkip) return std::nullopt;
  ApprovalsContext context;
  for (const auto& package : pending) {
    if (package.verified.approvals) context.package = &package;
  }
  if (context.package == nullptr) return std::nullopt;
  const auto& package = *context.package;
  // The bytes parsed are the bytes hashed here (a package applied before was only size-checked this run).
  const fs::path& file = *package.verified.approvals;
  auto bytes = value_or_throw(read_small_file(file, manifest::kMaxApprovalsBytes));
  if (sha256_hex(bytes) != package.verified.manifest.approvals->sha256_hex) {
    fail(ExitCode::kIntegrity, file.string(),
         "the approvals file does not match its SHA-256 in the signed manifest",
         "the media was altered or damaged: do not import it; export again or copy it again");
  }
  context.file = value_or_throw(manifest::parse_approvals(bytes, file.string()));
  context.server = wsus::make_powershell_approval_server(options.powershell, "--approvals");
  auto offline = value_or_throw(context.server->read());
  auto check = compare_settings(context.file.state.settings, offline.settings);
  report.approvals.emplace();
  report.approvals->package = package.found.folder_name;
  report.approvals->warnings = check.warnings;
  if (!check.refusals.empty()) {
    std::string why;
    for (const auto& refusal : check.refusals) why += (why.empty() ? "" : "; ") + refusal;
    fail(ExitCode::kServerSettings, "this WSUS server's settings",
         "differ from the connected server's: " + why,
         "make the settings equal on both servers (WSUS console, Options > Update Files and Languages), or "
         "import with --approvals skip; nothing was changed");
  }
  return context;
}

void run_approvals(ApprovalsContext& context, const ImportOptions& options, state::Ledger& ledger,
                   ImportReport& report) {
  auto& out = *report.approvals;
  out.applying = options.approvals == ApprovalsMode::kApply && !options.dry_run;
  out.groups = context.file.state.groups.size();
  // Read again: wsusutil import has just added the revisions the approvals name.
  auto offline = value_or_throw(context.server->read());
  auto before = applied_before(ledger);
  auto plan = make_plan(context, offline, options, before);
  out.unchanged = plan.unchanged;
  out.approvals = plan.approvals;
  out.declines = plan.declines;
  out.groups_created = plan.groups_created;
  out.missing_updates = plan.missing_updates;
  out.eula_gaps = plan.eula_gaps;
  out.eula_gap_files = plan.eula_gap_files;
  out.drift = plan.drift;
  for (const auto& change : plan.changes) out.planned.push_back(change.what);
  if (!plan.eula_gaps.empty() && report.exit_code == ExitCode::kSuccess) report.exit_code = ExitCode::kGaps;
  if (!out.applying) return;

  reached_step("approving");
  std::vector<wsus::ApprovalOperation> operations;
  for (const auto& change : plan.changes) operations.push_back(change.operation);
  wsus::ApplyResult applied;
  if (!operations.empty()) applied = context.server->apply(operations);
  for (std::size_t i = 0; i < plan.changes.size(); ++i)
    (i < applied.applied ? out.applied : out.not_applied).push_back(plan.changes[i].what);
  if (applied.failure) out.failure = applied.failure->message();

  // What is in place now is read back, never assumed: a re-run plans from the same truth.
  auto after = operations.empty() ? offline : value_or_throw(context.server->read());
  auto check = make_plan(context, after, options, before);
  for (const auto& change : check.changes) out.remaining.push_back(change.what);
  std::set<AppliedKey> in_place = check.in_place;
  std::string result = "applied";
  if (applied.failure) {
    in_place.insert(before.begin(), before.end());  // withdrawn approvals not yet removed stay known
    result = "partly applied";
    report.exit_code = ExitCode::kOperational;
  } else if (operations.empty()) {
    result = "nothing to change";
  }
  record_set(context, out, result, in_place, ledger);
}

}  // namespace wsa::importing
