#pragma once
// The export run's shared state and the choice of what travels (export/carry_choice.cpp), used by
// the pipeline's steps in export/export_pipeline.cpp. Internal to wsa_export.

#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "export/export_pipeline.h"
#include "manifest/keys.h"
#include "manifest/receipt.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/content_store.h"
#include "verify/gap_report.h"

namespace wsa::exporting {

// Everything one export run knows, filled step by step.
struct ExportRun {
  ExportRun(const ExportOptions& export_options, state::Ledger& export_ledger)
      : options(export_options), ledger(export_ledger) {}
  const ExportOptions& options;
  state::Ledger& ledger;
  std::vector<manifest::SigningKey> keys;
  std::uint64_t sequence = 0;
  std::optional<state::RunRecord> previous;
  fs::path partial_dir;  // wsus-airgap-NNNNNN.partial while being written
  fs::path final_dir;
  ExportReport report;
  // Files asked for by --receipt or --request, by canonical path.
  std::map<std::string, manifest::MissingFile> requested;
  bool exactly_requested = false;  // --request: carry only `requested`
  bool full = false;               // carry every file (--full, or the first package of a ledger)
  std::string receipt_note;        // what the ledger records about the receipt
};

// Per file of `shippable` (sorted by path): whether the ledger shipped it with these bytes (same path and
// SHA-256). One pass over the shipped set in path order beside the list, never copied into memory; all
// false when the choice does not depend on it (--full, --request, the first package).
std::vector<bool> shipped_before(ExportRun& run, const std::vector<const verify::ContentFile*>& shippable);
// Whether `file` travels: never shipped (or shipped with other bytes), asked for by the receipt, or
// everything with --full; exactly what was asked with --request. `shipped` is shipped_before's answer.
bool should_carry(ExportRun& run, const verify::ContentFile& file, bool shipped);
// The --receipt-trust keys, if any were given.
std::optional<manifest::TrustStore> load_receipt_trust(const ExportOptions& options);
// Reads and checks the --receipt against this ledger (kIntegrity when it answers another chain or a
// package this ledger did not make) and adds the files it lacks to run.requested.
void read_receipt(ExportRun& run, const manifest::TrustStore* trust);
// Reads the connected server's approvals (before wsusutil: a server the API cannot reach must not
// cost an hour of export) and writes approvals.json into the package folder; nullopt with skip.
std::optional<manifest::PinnedFile> write_approvals(ExportRun& run);
// The completeness check of the metadata package against the scan (step 4, export/metadata_check.cpp):
// begun before the scan, parsing the package on its own thread unless the ledger holds a check of these
// very bytes; finished with the scan's listing. Gaps become warnings (kGaps with --require-complete);
// a check that found everything is remembered by the package's SHA-256 and the listing's digest, and
// an unchanged re-export with the same package takes its answer instead of parsing again.
class MetadataCheck {
 public:
  // `pinned`: the package copied into the package folder; none in a dry run (then --metadata is read
  // where it is, and nothing with --wsusutil).
  MetadataCheck(ExportRun& run, const std::optional<manifest::PinnedFile>& pinned);
  MetadataCheck(const MetadataCheck&) = delete;
  MetadataCheck& operator=(const MetadataCheck&) = delete;
  // Fills run.report.metadata_check and source_gaps.
  void finish(const verify::ContentListing& listing);

 private:
  ExportRun& run_;
  fs::path package_;  // empty: nothing to check
  std::string package_sha256_;
  bool checked_before_ = false;
  // std::async's future waits for its thread when destroyed: a failed scan never leaves the parse
  // running over a package folder being removed.
  std::future<Result<verify::ReferencedFiles>> parsed_;
};

// Warns about every requested file the source cannot send, naming the update that needs it.
void report_unavailable_requests(ExportRun& run, const std::vector<const verify::ContentFile*>& shippable);

}  // namespace wsa::exporting
