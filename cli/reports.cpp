#include "cli/reports.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "common/encoding.h"
#include "manifest/transfer_manifest.h"

namespace wsa::cli {

namespace {

using nlohmann::json;

void emit(const json& document) {
  std::printf("%s\n", document.dump(2).c_str());
}

json error_json(const Error& error) {
  return {{"exit_code", static_cast<int>(error.code)},
          {"what", error.what},
          {"why", error.why},
          {"hint", error.hint}};
}

std::vector<std::string> path_strings(const std::vector<boost::filesystem::path>& paths) {
  std::vector<std::string> out;
  for (const auto& path : paths) out.push_back(path.string());
  return out;
}

// Updates whose files the connected server itself lacks, as export reports them before writing.
json source_gaps_json(const std::vector<verify::UpdateGap>& updates) {
  json out = json::array();
  for (const auto& update : updates) {
    json files = json::array();
    for (const auto& file : update.files)
      files.push_back({{"path", file.path}, {"name", file.name}, {"problem", file.problem}});
    out.push_back(
        {{"update_id", update.update_id}, {"title", update.title}, {"kb", update.kb}, {"files", files}});
  }
  return out;
}

}  // namespace

void print_export(const exporting::ExportReport& report, bool json_output) {
  if (json_output) {
    emit({{"command", "export"},
          {"dry_run", report.dry_run},
          {"sequence", report.sequence},
          {"package", report.package_dir.string()},
          {"mode", report.mode},
          {"manifest_sha256", report.manifest_sha256},
          {"key_ids", report.key_ids},
          {"files_total", report.files_total},
          {"bytes_total", report.bytes_total},
          {"files_carried", report.files_carried},
          {"bytes_carried", report.bytes_carried},
          {"files_hashed", report.files_hashed},
          {"files_from_cache", report.files_from_cache},
          {"volumes", report.volumes},
          {"metadata", {{"name", report.metadata_name}, {"bytes", report.metadata_bytes}}},
          {"metadata_check",
           report.metadata_check
               ? json{{"files_referenced", report.metadata_check->files_referenced},
                      {"files_missing", report.metadata_check->files_missing},
                      {"remembered_from", report.metadata_check->remembered_from_utc.empty()
                                              ? json(nullptr)
                                              : json(report.metadata_check->remembered_from_utc)}}
               : json(nullptr)},
          {"mismatched", report.mismatched},
          {"requested_missing", report.requested_missing},
          {"files_resent", report.files_resent},
          {"interrupted", report.interrupted},
          {"finished", report.finished},
          {"source_gaps", source_gaps_json(report.source_gaps)},
          {"approvals", report.approvals ? json{{"groups", report.approvals->groups},
                                                {"approvals", report.approvals->approvals},
                                                {"declined", report.approvals->declined},
                                                {"updates", report.approvals->updates},
                                                {"wsus_version", report.approvals->wsus_version}}
                                         : json(nullptr)},
          {"receipt_approvals", report.receipt_approvals},
          {"warnings", report.warnings}});
    return;
  }
  if (!report.receipt_approvals.empty()) std::printf("Receipt: %s\n", report.receipt_approvals.c_str());
  for (auto sequence : report.interrupted) {
    std::printf(
        "Export of sequence %llu was interrupted earlier; recorded as interrupted in the ledger (see "
        "status), its .partial folder removed and the sequence exported again\n",
        static_cast<unsigned long long>(sequence));
  }
  for (auto sequence : report.finished) {
    std::printf(
        "Package %s was signed and recorded by an earlier run that ended before naming its folder; "
        "named now (the same package, not made again)\n",
        manifest::package_folder_name(sequence).c_str());
  }
  for (const auto& warning : report.warnings)
    std::fprintf(stderr, "wsus-airgap: warning: %s\n", warning.c_str());
  for (const auto& file : report.mismatched) {
    std::fprintf(stderr, "wsus-airgap: warning: %s does not match its SHA-1 name; not exported\n",
                 file.c_str());
  }
  std::printf("%s %s (%s)\n", report.dry_run ? "Would export" : "Exported",
              report.package_dir.filename().string().c_str(), report.mode.c_str());
  std::printf("  content:   %llu of %llu files carried (%s of %s); %llu hashed, %llu from cache\n",
              static_cast<unsigned long long>(report.files_carried),
              static_cast<unsigned long long>(report.files_total), format_bytes(report.bytes_carried).c_str(),
              format_bytes(report.bytes_total).c_str(), static_cast<unsigned long long>(report.files_hashed),
              static_cast<unsigned long long>(report.files_from_cache));
  if (report.files_resent > 0) {
    std::printf("  requested: %llu file(s) carried because the offline server asked for them\n",
                static_cast<unsigned long long>(report.files_resent));
  }
  if (report.approvals) {
    std::printf(
        "  approvals: %llu approval(s) of %llu update(s), %llu declined, %llu computer group(s) (WSUS %s)\n",
        static_cast<unsigned long long>(report.approvals->approvals),
        static_cast<unsigned long long>(report.approvals->updates),
        static_cast<unsigned long long>(report.approvals->declined),
        static_cast<unsigned long long>(report.approvals->groups), report.approvals->wsus_version.c_str());
  } else {
    std::printf("  approvals: not carried (--approvals skip)\n");
  }
  if (const auto& check = report.metadata_check) {
    std::string outcome = "all in the store";
    if (check->files_missing > 0)
      outcome = std::to_string(check->files_missing) + " not in the store (see the warnings)";
    else if (!check->remembered_from_utc.empty())
      outcome +=
          " (the same package and store as the check of " + check->remembered_from_utc + ": not read again)";
    std::printf("  checked:   %llu file(s) the metadata references: %s\n",
                static_cast<unsigned long long>(check->files_referenced), outcome.c_str());
  }
  if (report.dry_run) return;
  std::printf("  metadata:  %s (%s)\n", report.metadata_name.c_str(),
              format_bytes(report.metadata_bytes).c_str());
  std::printf("  volumes:   %zu\n", report.volumes.size());
  for (const auto& id : report.key_ids) std::printf("  signed by: %s\n", id.c_str());
  std::printf("  package:   %s\n", report.package_dir.string().c_str());
  std::printf("Next: carry the package folder to the offline server and run 'wsus-airgap import'.\n");
}

void print_verify(const verify::MediaCheck& check, bool json_output) {
  if (json_output) {
    json packages = json::array();
    for (const auto& entry : check.packages) {
      json item = {
          {"folder", entry.found.folder_name}, {"sequence", entry.found.sequence}, {"ok", !entry.error}};
      if (entry.verified) {
        item["source_id"] = entry.verified->manifest.source_id;
        item["mode"] = manifest::to_string(entry.verified->manifest.mode);
        item["manifest_sha256"] = entry.verified->manifest_sha256;
        item["signed_by"] = entry.verified->signatures.valid;
        item["volumes"] = entry.verified->volumes.size();
        item["files_carried"] = entry.verified->manifest.inventory.carried_count;
      }
      if (entry.error) item["error"] = error_json(*entry.error);
      packages.push_back(item);
    }
    emit({{"command", "verify"},
          {"ok", check.all_good() && !check.packages.empty()},
          {"packages", packages},
          {"incomplete", path_strings(check.incomplete)}});
    return;
  }
  for (const auto& entry : check.packages) {
    if (entry.verified) {
      const auto& m = entry.verified->manifest;
      std::printf("OK      %s  %s, %llu file(s) in %zu volume(s), signed by %zu trusted key(s)\n",
                  entry.found.folder_name.c_str(), manifest::to_string(m.mode),
                  static_cast<unsigned long long>(m.inventory.carried_count), m.volumes.size(),
                  entry.verified->signatures.valid.size());
    } else {
      std::printf("FAILED  %s\n", entry.found.folder_name.c_str());
      std::fprintf(stderr, "wsus-airgap: error: %s\n", entry.error->message().c_str());
    }
  }
  for (const auto& folder : check.incomplete) {
    std::printf("SKIPPED %s (incomplete: no manifest.json)\n", folder.string().c_str());
  }
}

void print_import(const importing::ImportReport& report, bool json_output) {
  if (json_output) {
    json packages = json::array();
    for (const auto& p : report.packages) {
      packages.push_back({{"folder", p.folder},
                          {"sequence", p.sequence},
                          {"source_id", p.source_id},
                          {"mode", p.mode},
                          {"result", importing::to_string(p.result)},
                          {"files_placed", p.files_placed},
                          {"bytes_placed", p.bytes_placed},
                          {"files_already_present", p.files_already_present},
                          {"files_skipped", p.files_skipped},
                          {"volumes_hashed", p.volumes_hashed},
                          {"volumes_skipped", p.volumes_skipped},
                          {"resumed", p.resumed},
                          {"metadata_imported", p.metadata_imported}});
    }
    json missing_files = json::array();
    json missing_paths = json::array();
    for (const auto& m : report.missing) {
      missing_paths.push_back(m.path);
      missing_files.push_back({{"path", m.path},
                               {"reason", m.problem},
                               {"update_id", m.update_id},
                               {"title", m.title},
                               {"kb", m.kb}});
    }
    json document = {{"command", "import"},
                     {"dry_run", report.dry_run},
                     {"exit_code", static_cast<int>(report.exit_code)},
                     {"packages", packages},
                     {"missing", missing_paths},
                     {"missing_files", missing_files},
                     {"incomplete", path_strings(report.incomplete)},
                     {"would_place", report.would_place},
                     {"interrupted_runs", report.interrupted_runs},
                     {"receipts", path_strings(report.receipts)},
                     {"request", report.request ? json(report.request->string()) : json(nullptr)},
                     {"warnings", report.warnings},
                     {"mirror", nullptr},
                     {"approvals", report.approvals ? approvals_json(*report.approvals) : json(nullptr)}};
    if (const auto& m = report.mirror) {
      const auto none = std::vector<std::string>{};
      document["mirror"] = {{"package", m->package},
                            {"purge", m->purge},
                            {"dry_run", m->dry_run},
                            {"would_remove", m->dry_run ? m->removed : none},
                            {"quarantined", !m->dry_run && !m->purge ? m->removed : none},
                            {"deleted", !m->dry_run && m->purge ? m->removed : none},
                            {"kept", m->kept},
                            {"bytes", m->bytes},
                            {"quarantine", m->quarantine ? json(m->quarantine->string()) : json(nullptr)},
                            {"note", m->note},
                            {"refusal", m->refusal}};
    }
    emit(document);
    return;
  }
  for (const auto& p : report.packages) {
    if (p.result == importing::PackageResult::kAlreadyApplied) {
      std::printf("%-16s %s (%s): nothing to do\n", importing::to_string(p.result), p.folder.c_str(),
                  p.mode.c_str());
      continue;
    }
    std::printf("%-16s %s (%s): %llu file(s) placed (%s), %llu already present%s\n",
                importing::to_string(p.result), p.folder.c_str(), p.mode.c_str(),
                static_cast<unsigned long long>(p.files_placed), format_bytes(p.bytes_placed).c_str(),
                static_cast<unsigned long long>(p.files_already_present),
                p.metadata_imported ? ", metadata imported" : "");
    if (p.resumed) {
      std::printf(
          "resumed          %s: %llu file(s) placed by the interrupted run, %llu volume(s) not hashed "
          "again\n",
          p.folder.c_str(), static_cast<unsigned long long>(p.files_skipped),
          static_cast<unsigned long long>(p.volumes_skipped));
    }
  }
  if (report.interrupted_runs > 0) {
    std::printf("%llu earlier import run(s) were interrupted and are recorded as such (see status)\n",
                static_cast<unsigned long long>(report.interrupted_runs));
  }
  for (const auto& folder : report.incomplete) {
    std::printf("skipped          %s (incomplete: no manifest.json)\n", folder.string().c_str());
  }
  auto list = [](const std::vector<std::string>& paths) {
    for (std::size_t i = 0; i < paths.size() && i < 20; ++i) std::printf("  %s\n", paths[i].c_str());
    if (paths.size() > 20) std::printf("  ... and %zu more (use --json for all)\n", paths.size() - 20);
  };
  if (report.dry_run && !report.would_place.empty()) {
    std::printf("would place %zu content file(s):\n", report.would_place.size());
    list(report.would_place);
  }
  if (const auto& m = report.mirror) {
    if (!m->note.empty()) {
      std::printf("mirror: %s\n", m->note.c_str());
    } else if (m->removed.empty()) {
      std::printf("mirror: nothing to remove; the content folder holds no file the export server dropped\n");
    } else if (m->dry_run) {
      std::printf("mirror: would %s %zu file(s) (%s) the export server no longer has:\n",
                  m->purge ? "delete" : "quarantine", m->removed.size(), format_bytes(m->bytes).c_str());
      list(m->removed);
    } else if (m->purge) {
      std::printf("mirror: deleted %zu file(s) (%s) the export server no longer has\n", m->removed.size(),
                  format_bytes(m->bytes).c_str());
    } else {
      std::printf("mirror: moved %zu file(s) (%s) the export server no longer has into %s\n",
                  m->removed.size(), format_bytes(m->bytes).c_str(),
                  m->quarantine ? m->quarantine->string().c_str() : "");
    }
    if (!m->refusal.empty()) std::printf("mirror: a real run would stop (exit 7): %s\n", m->refusal.c_str());
    if (!m->kept.empty()) {
      std::printf("mirror: kept %zu file(s) the export server dropped but its metadata still references\n",
                  m->kept.size());
    }
  }
  if (report.approvals) print_approvals(*report.approvals);
  if (!report.missing.empty()) {
    std::printf("%zu content file(s) are missing here:\n", report.missing.size());
    for (std::size_t i = 0; i < report.missing.size() && i < 20; ++i) {
      const auto& f = report.missing[i];
      std::string update = f.title.empty() ? std::string() : "  needed by " + f.title;
      if (!f.kb.empty()) update += " (KB" + f.kb + ")";
      std::printf("  %s (%s)%s\n", f.path.c_str(), f.problem.c_str(), update.c_str());
    }
    if (report.missing.size() > 20) {
      std::printf("  ... and %zu more (use --json for all)\n", report.missing.size() - 20);
    }
    std::printf(
        "WSUS will show their updates as \"Failed to download\": carry them over with the next export.\n");
  }
  for (const auto& receipt : report.receipts) std::printf("receipt written: %s\n", receipt.string().c_str());
  if (report.request) std::printf("content request written: %s\n", report.request->string().c_str());
  for (const auto& warning : report.warnings)
    std::fprintf(stderr, "wsus-airgap: warning: %s\n", warning.c_str());
}

}  // namespace wsa::cli
