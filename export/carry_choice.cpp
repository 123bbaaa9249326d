#include "export/export_run.h"

#include <algorithm>
#include <limits>

#include "common/atomic_file.h"
#include "common/encoding.h"

namespace wsa::exporting {

namespace {

std::string describe_update(const manifest::MissingFile& file) {
  std::string known;
  if (!file.kb.empty()) known = file.kb;
  if (!file.title.empty()) known += (known.empty() ? "" : " ") + ("\"" + file.title + "\"");
  if (!file.update_id.empty()) known += (known.empty() ? "update " : ", update ") + file.update_id;
  return known.empty() ? "" : " (needed by " + known + ")";
}

}  // namespace

std::vector<bool> shipped_before(ExportRun& run, const std::vector<const verify::ContentFile*>& shippable) {
  std::vector<bool> shipped(shippable.size(), false);
  if (run.exactly_requested || run.full) return shipped;
  // The shipped set and the list are both in byte-wise path order: a merge, one query, no set in memory.
  std::size_t next = 0;
  Sha256Bytes sha256{};
  value_or_throw(run.ledger.each_shipped([&](const std::string& path, const std::string& sha256_hex) {
    while (next < shippable.size() && shippable[next]->path < path) ++next;
    if (next == shippable.size() || shippable[next]->path != path) return;
    if (from_hex_into(sha256_hex, sha256) && sha256 == shippable[next]->sha256) shipped[next] = true;
  }));
  return shipped;
}

// The offline side lacks what was never shipped (or was shipped with other bytes), and what its receipt
// says it lost. --full ships all; --request ships exactly what was asked.
bool should_carry(ExportRun& run, const verify::ContentFile& file, bool shipped) {
  const bool asked = !run.requested.empty() && run.requested.contains(file.path);
  if (run.exactly_requested) {
    if (asked) ++run.report.files_resent;
    return asked;
  }
  if (run.full) return true;
  if (!shipped) return true;
  if (asked) ++run.report.files_resent;
  return asked;
}

std::optional<manifest::TrustStore> load_receipt_trust(const ExportOptions& options) {
  if (options.receipt_trust.empty()) return std::nullopt;
  return value_or_throw(manifest::TrustStore::load(options.receipt_trust));
}

// A receipt is checked before wsusutil runs: a receipt for another chain or a sequence this ledger never
// made means the operator mixed up media or ledgers, and an hour of wsusutil would be wasted.
void read_receipt(ExportRun& run, const manifest::TrustStore* trust) {
  const fs::path& file = *run.options.receipt;
  auto bytes = value_or_throw(read_small_file(file, manifest::kMaxReceiptBytes));
  auto receipt = value_or_throw(manifest::parse_receipt(bytes, file.string(), trust));
  const std::string& ledger_id = run.ledger.ledger_id();
  if (receipt.source_id != ledger_id) {
    fail(ExitCode::kIntegrity, file.string(),
         "is a receipt for export source " + receipt.source_id + "; this ledger is " + ledger_id,
         "give the receipt written after importing this server's packages, or the --state ledger that "
         "exported "
         "them");
  }
  const std::uint64_t last = run.previous ? run.previous->sequence : 0;
  if (receipt.applied_sequence > last) {
    fail(ExitCode::kIntegrity, file.string(),
         "says sequence " + std::to_string(receipt.applied_sequence) + " was applied, but this ledger (" +
             run.options.state.string() + ") has exported only up to sequence " + std::to_string(last),
         "the receipt belongs to another ledger or was altered; use the ledger that exported those packages");
  }
  if (receipt.applied_sequence > 0) {
    std::optional<state::RunRecord> made;
    for (auto& record : value_or_throw(run.ledger.history(std::numeric_limits<std::uint32_t>::max()))) {
      if (record.kind == state::RunKind::kExport && record.status == state::RunStatus::kSucceeded &&
          record.sequence == receipt.applied_sequence) {
        made = std::move(record);
      }
    }
    if (!made || made->manifest_sha256 != receipt.applied_manifest_sha256) {
      fail(ExitCode::kIntegrity, file.string(),
           "says sequence " + std::to_string(receipt.applied_sequence) + " had manifest " +
               receipt.applied_manifest_sha256 + ", but this ledger exported sequence " +
               std::to_string(receipt.applied_sequence) + " with " +
               (made ? "manifest " + made->manifest_sha256 : "no recorded manifest"),
           "the receipt answers a package this ledger did not make; check the ledger and the receipt's "
           "origin");
    }
  }
  for (auto& wanted : receipt.missing) run.requested.emplace(wanted.path, std::move(wanted));
  run.receipt_note = "receipt " + file.filename().string() + " from " +
                     (receipt.offline_host.empty() ? receipt.offline_ledger_id : receipt.offline_host) +
                     " (applied sequence " + std::to_string(receipt.applied_sequence) + ", " +
                     std::to_string(run.requested.size()) + " file(s) missing)";
  if (const auto& a = receipt.approvals) {
    std::string summary = "approvals of package " + std::to_string(a->sequence) + " " + a->result +
                          " offline: " + std::to_string(a->applied) + " change(s) applied, " +
                          std::to_string(a->not_applied) + " not applied, " + std::to_string(a->unchanged) +
                          " already so, " + std::to_string(a->drift) + " drift, " +
                          std::to_string(a->eula_gaps) + " held back for a missing EULA file, " +
                          std::to_string(a->missing_updates) + " revision(s) missing there";
    run.report.receipt_approvals = summary;
    run.receipt_note += "; " + summary;
  }
}

// What was asked for but cannot be sent: the operator must learn which update stays incomplete offline.
void report_unavailable_requests(ExportRun& run, const std::vector<const verify::ContentFile*>& shippable) {
  // `shippable` is sorted by path: a binary search per request, no copy of 100,000 paths.
  auto present = [&shippable](const std::string& path) {
    auto it = std::lower_bound(
        shippable.begin(), shippable.end(), path,
        [](const verify::ContentFile* file, const std::string& key) { return file->path < key; });
    return it != shippable.end() && (*it)->path == path;
  };
  for (const auto& [path, wanted] : run.requested) {
    if (present(path)) continue;
    run.report.requested_missing.push_back(path);
    run.report.warnings.push_back(path + describe_update(wanted) + " is asked for but is not in " +
                                  run.options.content.string() +
                                  " (or does not match its name); WSUS must download it again here first");
  }
}

}  // namespace wsa::exporting
