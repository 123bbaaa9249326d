#include "cli/reports.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "common/encoding.h"

namespace wsa::cli {

namespace {

using nlohmann::json;

void emit(const json& document) { std::printf("%s\n", document.dump(2).c_str()); }

json error_json(const Error& error) {
  return {{"exit_code", static_cast<int>(error.code)}, {"what", error.what}, {"why", error.why}, {"hint", error.hint}};
}

std::vector<std::string> path_strings(const std::vector<boost::filesystem::path>& paths) {
  std::vector<std::string> out;
  for (const auto& path : paths) out.push_back(path.string());
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
          {"mismatched", report.mismatched},
          {"warnings", report.warnings}});
    return;
  }
  for (const auto& warning : report.warnings) std::fprintf(stderr, "wsus-airgap: warning: %s\n", warning.c_str());
  for (const auto& file : report.mismatched) {
    std::fprintf(stderr, "wsus-airgap: warning: %s does not match its SHA-1 name; not exported\n", file.c_str());
  }
  std::printf("%s %s (%s)\n", report.dry_run ? "Would export" : "Exported",
              report.package_dir.filename().string().c_str(), report.mode.c_str());
  std::printf("  content:   %llu of %llu files carried (%s of %s); %llu hashed, %llu from cache\n",
              static_cast<unsigned long long>(report.files_carried), static_cast<unsigned long long>(report.files_total),
              format_bytes(report.bytes_carried).c_str(), format_bytes(report.bytes_total).c_str(),
              static_cast<unsigned long long>(report.files_hashed),
              static_cast<unsigned long long>(report.files_from_cache));
  if (report.dry_run) return;
  std::printf("  metadata:  %s (%s)\n", report.metadata_name.c_str(), format_bytes(report.metadata_bytes).c_str());
  std::printf("  volumes:   %zu\n", report.volumes.size());
  for (const auto& id : report.key_ids) std::printf("  signed by: %s\n", id.c_str());
  std::printf("  package:   %s\n", report.package_dir.string().c_str());
  std::printf("Next: carry the package folder to the offline server and run 'wsus-airgap import'.\n");
}

void print_verify(const verify::MediaCheck& check, bool json_output) {
  if (json_output) {
    json packages = json::array();
    for (const auto& entry : check.packages) {
      json item = {{"folder", entry.found.folder_name}, {"sequence", entry.found.sequence}, {"ok", !entry.error}};
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
                          {"result", p.result},
                          {"files_placed", p.files_placed},
                          {"bytes_placed", p.bytes_placed},
                          {"files_already_present", p.files_already_present},
                          {"metadata_imported", p.metadata_imported}});
    }
    emit({{"command", "import"},
          {"dry_run", report.dry_run},
          {"exit_code", static_cast<int>(report.exit_code)},
          {"packages", packages},
          {"missing", report.missing},
          {"incomplete", path_strings(report.incomplete)}});
    return;
  }
  for (const auto& p : report.packages) {
    if (p.result == "already applied") {
      std::printf("%-16s %s (%s): nothing to do\n", p.result.c_str(), p.folder.c_str(), p.mode.c_str());
      continue;
    }
    std::printf("%-16s %s (%s): %llu file(s) placed (%s), %llu already present%s\n", p.result.c_str(),
                p.folder.c_str(), p.mode.c_str(), static_cast<unsigned long long>(p.files_placed),
                format_bytes(p.bytes_placed).c_str(), static_cast<unsigned long long>(p.files_already_present),
                p.metadata_imported ? ", metadata imported" : "");
  }
  for (const auto& folder : report.incomplete) {
    std::printf("skipped          %s (incomplete: no manifest.json)\n", folder.string().c_str());
  }
  if (!report.missing.empty()) {
    std::printf("%zu content file(s) listed by the export server are missing here:\n", report.missing.size());
    for (std::size_t i = 0; i < report.missing.size() && i < 20; ++i) std::printf("  %s\n", report.missing[i].c_str());
    if (report.missing.size() > 20) std::printf("  ... and %zu more (use --json for all)\n", report.missing.size() - 20);
    std::printf("WSUS will show their updates as \"Failed to download\": carry them over with the next export.\n");
  }
}

void print_status(const std::string& ledger_id, const std::vector<state::RunRecord>& history, bool json_output) {
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
    emit({{"command", "status"}, {"ledger_id", ledger_id}, {"runs", runs}});
    return;
  }
  std::printf("ledger %s: %zu run(s)\n", ledger_id.c_str(), history.size());
  for (const auto& r : history) {
    std::printf("%-20s %-6s #%06llu %-11s %-16s %s\n", r.started_utc.c_str(), state::to_string(r.kind),
                static_cast<unsigned long long>(r.sequence), r.mode.c_str(),
                r.status == state::RunStatus::kRunning ? "INTERRUPTED" : state::to_string(r.status),
                r.message.c_str());
  }
}

}  // namespace wsa::cli
