#include "cli/status_report.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include <fmt/format.h>

#include "manifest/transfer_manifest.h"

namespace wsa::cli {

namespace {

using nlohmann::json;

std::optional<double> age_days(const std::string& utc, std::int64_t now) {
  auto when = manifest::parse_utc(utc);
  if (utc.empty() || !when) return std::nullopt;
  return static_cast<double>(now - *when) / 86400.0;
}

// When the package last applied was made: its manifest's time, else the end of the run that applied it.
std::string applied_made_utc(const state::SourceFreshness& source) {
  if (!source.last_success) return {};
  return source.last_success_made_utc.empty() ? source.last_success->finished_utc
                                              : source.last_success_made_utc;
}

std::string short_id(const std::string& source_id) {
  return source_id.substr(0, 8);
}

std::string days_text(double days) {
  return fmt::format("{:.1f} days", days);
}

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

std::vector<SourceAge> judge_freshness(const std::vector<state::SourceFreshness>& sources, std::int64_t now,
                                       std::optional<std::int64_t> max_age_days) {
  std::vector<SourceAge> ages;
  for (const auto& source : sources) {
    SourceAge age;
    age.source = source;
    age.applied_age_days = age_days(applied_made_utc(source), now);
    if (source.newest_seen) age.seen_age_days = age_days(source.newest_seen->created_utc, now);
    const char* kind = state::to_string(source.kind);
    age.what = fmt::format("source {} ({})", short_id(source.source_id), kind);
    if (max_age_days && !source.last_success) {
      age.stale = true;
      age.why_stale = source.kind == state::RunKind::kImport ? "no package of it was ever applied"
                                                             : "no export of it ever succeeded";
    } else if (max_age_days && (!age.applied_age_days || *age.applied_age_days > double(*max_age_days))) {
      age.stale = true;
      age.why_stale = fmt::format(
          "the newest {} package (#{:06}) was made {}, {} ago: more than --max-age {}",
          source.kind == state::RunKind::kImport ? "applied" : "exported", source.last_success->sequence,
          applied_made_utc(source),
          age.applied_age_days ? days_text(*age.applied_age_days) : "an unknown time", *max_age_days);
    }
    ages.push_back(std::move(age));
  }
  return ages;
}

void print_status(const std::string& ledger_id, const std::vector<state::RunRecord>& history,
                  const std::vector<SourceAge>& ages, std::optional<std::int64_t> max_age_days,
                  bool json_output, const std::vector<state::ApprovalSetRecord>& approval_sets) {
  if (json_output) {
    json runs = json::array();
    for (const auto& r : history) {
      runs.push_back({{"kind", state::to_string(r.kind)},
                      {"source_id", r.source_id},
                      {"sequence", r.sequence},
                      {"mode", r.mode},
                      {"status", state::to_string(r.status)},
                      {"started", r.started_utc},
                      {"finished", r.finished_utc},
                      {"manifest_sha256", r.manifest_sha256},
                      {"package", r.package_dir},
                      {"files", r.files},
                      {"bytes", r.bytes},
                      {"message", r.message}});
    }
    json sources = json::array();
    for (const auto& age : ages) {
      const auto& s = age.source;
      json applied = nullptr;
      if (s.last_success) {
        applied = {{"sequence", s.last_success->sequence},
                   {"finished", s.last_success->finished_utc},
                   {"made", applied_made_utc(s)},
                   {"age_days", optional_number(age.applied_age_days)}};
      }
      json seen = nullptr;
      if (s.newest_seen) {
        seen = {{"sequence", s.newest_seen->sequence},
                {"made", s.newest_seen->created_utc},
                {"first_seen", s.newest_seen->first_seen_utc},
                {"age_days", optional_number(age.seen_age_days)}};
      }
      json entry = {{"kind", state::to_string(s.kind)},
                    {"source_id", s.source_id},
                    {"last_applied", applied},
                    {"newest_seen", seen}};
      if (max_age_days) entry["stale"] = age.stale;
      sources.push_back(entry);
    }
    json sets = json::array();
    for (const auto& a : approval_sets) {
      sets.push_back({{"recorded", a.recorded_utc},
                      {"source_id", a.source_id},
                      {"sequence", a.sequence},
                      {"manifest_sha256", a.manifest_sha256},
                      {"result", a.result},
                      {"applied", a.applied},
                      {"not_applied", a.not_applied},
                      {"unchanged", a.unchanged},
                      {"drift", a.drift},
                      {"eula_gaps", a.eula_gaps},
                      {"missing_updates", a.missing_updates},
                      {"summary", a.summary}});
    }
    json document = {{"command", "status"},
                     {"ledger_id", ledger_id},
                     {"runs", runs},
                     {"sources", sources},
                     {"approval_sets", sets}};
    if (max_age_days) document["max_age_days"] = *max_age_days;
    std::printf("%s\n", document.dump(2).c_str());
    return;
  }
  std::printf("ledger %s: %zu run(s)\n", ledger_id.c_str(), history.size());
  for (const auto& r : history) {
    // The source (export chain) by its first 8 characters, as in receipt names: several servers may
    // feed one offline server.
    std::printf("%-20s %-6s %-8s #%06llu %-11s %-16s %s\n", r.started_utc.c_str(), state::to_string(r.kind),
                short_id(r.source_id).c_str(), static_cast<unsigned long long>(r.sequence), r.mode.c_str(),
                r.status == state::RunStatus::kRunning ? "INTERRUPTED" : state::to_string(r.status),
                r.message.c_str());
  }
  if (!approval_sets.empty())
    std::printf("%zu approval set(s) applied to this WSUS server:\n", approval_sets.size());
  for (const auto& a : approval_sets) {
    std::string drift = a.drift > 0 ? "; " + std::to_string(a.drift) + " drift" : "";
    std::printf("%-20s %-8s approvals #%06llu %s: %s%s\n", a.recorded_utc.c_str(),
                short_id(a.source_id).c_str(), static_cast<unsigned long long>(a.sequence), a.result.c_str(),
                a.summary.c_str(), drift.c_str());
  }
  if (ages.empty()) return;
  std::printf("freshness:\n");
  for (const auto& age : ages) {
    const auto& s = age.source;
    bool import = s.kind == state::RunKind::kImport;
    std::string line = fmt::format("  {:<6} {:<8} ", state::to_string(s.kind), short_id(s.source_id));
    if (s.last_success) {
      line += fmt::format("last {} #{:06} made {}", import ? "applied" : "exported", s.last_success->sequence,
                          applied_made_utc(s));
      if (age.applied_age_days) line += " (" + days_text(*age.applied_age_days) + " old)";
    } else {
      line += import ? "never applied" : "no export succeeded";
    }
    if (s.newest_seen && (!s.last_success || s.newest_seen->sequence != s.last_success->sequence)) {
      line +=
          fmt::format("; newest seen #{:06} made {}", s.newest_seen->sequence, s.newest_seen->created_utc);
      if (age.seen_age_days) line += " (" + days_text(*age.seen_age_days) + " old)";
    }
    if (age.stale) line += "  STALE";
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace wsa::cli
