#include "import/import_steps.h"

#include <set>

#include <fmt/format.h>

#include "manifest/transfer_manifest.h"
#include "state/recorded_run.h"

namespace wsa::importing {

namespace {

// "2026-11-25T08:00:00Z" -> "20261125T080000Z": a folder name without ':' (Windows refuses it).
std::string compact_utc(const std::string& utc) {
  std::string text;
  for (char c : utc) {
    if (c != '-' && c != ':') text.push_back(c);
  }
  return text;
}

}  // namespace

// A suspicious package or a mass deletion must be refused before anything moves. The tree is mirrored to the
// newest package applied, in this run or an earlier one (robocopy /MIR can tidy a store at any time, and so
// can this).
std::optional<MirrorPlan> plan_mirror_run(const ImportOptions& options,
                                          const std::vector<PendingPackage>& pending,
                                          verify::StoreListing& store, MirrorOptions& mirror_options,
                                          ImportReport& report, const PendingPackage*& base) {
  report.mirror = MirrorReport{};
  report.mirror->purge = options.purge;
  report.mirror->dry_run = options.dry_run;
  base = nullptr;
  std::set<std::string> sources;
  for (const auto& package : pending) {
    if (package.verdict != verify::OrderVerdict::kApply &&
        package.verdict != verify::OrderVerdict::kAlreadyApplied)
      continue;
    base = &package;
    sources.insert(package.verified.manifest.source_id);
  }
  if (sources.size() > 1) {
    fail(ExitCode::kUsage, "--mirror",
         "the media holds packages of " + std::to_string(sources.size()) +
             " export servers to apply; mirroring to one would delete the others' content",
         "import without --mirror, or give one server's packages at a time");
  }
  if (base == nullptr) {
    report.mirror->note =
        "the media holds no package applied here (the newest applied one must be on the media): nothing "
        "mirrored";
    return std::nullopt;
  }
  mirror_options.stamp =
      compact_utc(manifest::utc_now()) + "-" + fmt::format("{:06}", base->verified.manifest.sequence);
  auto plan = value_or_throw(plan_mirror(base->verified, store, mirror_options));
  report.mirror->package = plan.package;
  report.mirror->kept = plan.kept;
  return plan;
}

// Removals are a run of their own in the journal: one that fails halfway is recorded as failed (the
// package's import already succeeded), and `import --mirror` again finishes it.
MirrorResult apply_recorded_mirror(const MirrorPlan& plan, const PendingPackage& base,
                                   const ImportOptions& options, const MirrorOptions& mirror_options,
                                   state::Ledger& ledger) {
  if (plan.remove.empty()) return {};
  state::RunRecord record;
  record.kind = state::RunKind::kImport;
  record.source_id = base.verified.manifest.source_id;
  record.sequence = base.verified.manifest.sequence;
  record.manifest_sha256 = base.verified.manifest_sha256;
  record.mode = "mirror";
  record.package_dir = base.found.dir.string();
  auto run = state::RecordedRun::begin(ledger, record);
  auto done = state::recording_failure(
      run, [&] { return value_or_throw(apply_mirror(plan, options.content, mirror_options)); });
  run.count(done.removed.size(), done.bytes);
  run.finish(state::RunStatus::kSucceeded, "",
             "mirrored: " + std::to_string(done.removed.size()) + " file(s) " +
                 (options.purge ? "deleted" : "quarantined"));
  return done;
}

}  // namespace wsa::importing
