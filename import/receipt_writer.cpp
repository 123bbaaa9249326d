#include "import/import_steps.h"

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/platform.h"
#include "manifest/receipt.h"
#include "verify/store_listing.h"

namespace wsa::importing {

namespace {

// SHA-256 over the sorted "path\tsize\n" lines of the content folder: two servers with equal digests
// hold the same names and sizes, which the export side can compare with its own tree.
struct ContentDigest {
  std::string sha256;
  std::uint64_t files = 0, bytes = 0;
};

ContentDigest digest_content(verify::StoreListing& store) {
  value_or_throw(store.list());
  Sha256Hasher hasher;
  ContentDigest digest;
  for (const auto& file : store.files()) {
    std::string line = file.path + "\t" + std::to_string(file.size) + "\n";
    hasher.update(line.data(), line.size());
    ++digest.files;
    digest.bytes += file.size;
  }
  digest.sha256 = hasher.finish_hex();
  return digest;
}

}  // namespace

// The receipt goes back across the gap on the same media: the export side learns what arrived and
// what is still missing without anyone copying lists by hand.
void write_receipts(const ImportOptions& options, state::Ledger& ledger,
                    const std::vector<PendingPackage>& pending, verify::StoreListing& store,
                    const std::optional<manifest::SigningKey>& key, ImportReport& report) {
  if (pending.empty()) return;
  std::string source_id = pending.back().verified.manifest.source_id;
  for (const auto& outcome : report.packages) {
    if (outcome.result == PackageResult::kApplied) source_id = outcome.source_id;
  }
  auto tip = value_or_throw(ledger.last_applied_import(source_id));
  manifest::Receipt receipt;
  receipt.offline_ledger_id = ledger.ledger_id();
  receipt.offline_host = platform::host_name();
  receipt.created_utc = manifest::utc_now();
  receipt.source_id = source_id;
  if (tip) {
    receipt.applied_sequence = tip->sequence;
    receipt.applied_manifest_sha256 = tip->manifest_sha256;
  }
  for (const auto& outcome : report.packages) {
    if (outcome.result == PackageResult::kApplied && outcome.source_id == source_id)
      receipt.applied_this_run.push_back(outcome.sequence);
  }
  auto digest = digest_content(store);
  receipt.content_digest = digest.sha256;
  receipt.content_files = digest.files;
  receipt.content_bytes = digest.bytes;
  receipt.missing = report.missing;
  // What became of the approvals: the set this run recorded (or the last one, when it applied none).
  auto sets = value_or_throw(ledger.approval_history(1));
  if (!sets.empty() && sets.back().source_id == source_id) {
    const auto& set = sets.back();
    receipt.approvals =
        manifest::ReceiptApprovals{set.sequence,  set.result, set.applied,   set.not_applied,
                                   set.unchanged, set.drift,  set.eula_gaps, set.missing_updates};
  }
  std::vector<const manifest::SigningKey*> keys;
  if (key) keys.push_back(&*key);
  std::string bytes = manifest::serialize_receipt(receipt, keys);

  // Offline sticks are often write-protected: a receipt that cannot go onto the media is a warning,
  // and the copies the admin asked for elsewhere are still written.
  if (!options.no_media_receipt) {
    fs::path on_media =
        options.media.front() / fmt::format("wsus-airgap-receipt-{}-{:06}.json",
                                            receipt.offline_ledger_id.substr(0, 8), receipt.applied_sequence);
    if (auto written = write_file_atomically(on_media, bytes); written) {
      report.receipts.push_back(on_media);
    } else {
      report.warnings.push_back(
          "the receipt could not be written onto the media (" + written.error().what + ": " +
          written.error().why + "); the media may be write-protected. " +
          (options.receipt_out
               ? "It was written to --receipt-out; carry that file back instead."
               : "Run import again with --receipt-out FILE (and --no-media-receipt) to keep it."));
    }
  }
  std::vector<fs::path> targets;
  if (options.receipt_out) targets.push_back(*options.receipt_out);
  for (const auto& target : targets) {
    if (auto written = write_file_atomically(target, bytes); !written) {
      fail(ExitCode::kOperational, target.string(), "cannot write the receipt: " + written.error().why,
           "the import itself is complete; free space or make the media writable, then run import again to "
           "write the receipt");
    }
    report.receipts.push_back(target);
  }
  if (options.request_out) {
    auto request = manifest::make_content_request(receipt.missing, source_id, receipt.created_utc);
    if (auto written = write_file_atomically(*options.request_out, manifest::serialize_request(request));
        !written) {
      fail(ExitCode::kOperational, options.request_out->string(),
           "cannot write the content request: " + written.error().why,
           "the import itself is complete; choose a writable --request-out and run import again");
    }
    report.request = *options.request_out;
  }
}

}  // namespace wsa::importing
