#pragma once
// The import pipeline's steps (import/import_pipeline.cpp runs them in order), each in the file
// named beside it. Internal to wsa_import.

#include <boost/filesystem/path.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "import/import_pipeline.h"
#include "import/mirror.h"
#include "manifest/approvals_file.h"
#include "manifest/keys.h"
#include "manifest/trust.h"
#include "state/ledger.h"
#include "verify/package_check.h"
#include "verify/sequence_chain.h"
#include "verify/store_listing.h"
#include "wsus/approval_server.h"

namespace wsa {
class Progress;
}

namespace wsa::importing {

// A package found on the media, believed (its signatures) and ordered against the ledger.
struct PendingPackage {
  verify::FoundPackage found;
  verify::VerifiedPackage verified;  // signatures and sizes first, hashes before anything moves
  verify::OrderVerdict verdict = verify::OrderVerdict::kApply;
  std::uint64_t volumes_hashed = 0;
  std::uint64_t volumes_skipped = 0;
};

// --- import/package_verification.cpp ---

// The ledger's last applied package of `source_id`, as the order rules take it.
std::optional<verify::AppliedTip> tip_of(state::Ledger& ledger, const std::string& source_id);
// `<ledger folder>/wsus-airgap-verified/<manifest SHA-256>`: the package's verified inventory and metadata.
fs::path verified_copies(const ImportOptions& options, const std::string& manifest_sha256);
// Removes a superseded package's copies (only a folder named like a manifest hash).
void forget_verified_copies(const ImportOptions& options, const std::string& manifest_sha256);
// Checks every pinned file of `package` by size and keeps verified copies of its inventory and metadata
// (hashed as they are copied); `package.verified` then names the copies. The volumes are hashed by the
// placement as it extracts them, or here in a dry run. Throws kIntegrity on any mismatch, or when the
// manifest changed since it was ordered.
void verify_contents(PendingPackage& package, const ImportOptions& options, const manifest::TrustStore& trust,
                     state::Ledger& ledger, Progress* progress);
// One per volume of `package`: hashed whole by an interrupted run and unchanged since (size, time).
std::vector<bool> volumes_hashed_before(const PendingPackage& package, state::Ledger& ledger);
// Records that volume `index` matched the manifest in this run, with its size and time now.
Result<void> record_volume_verified(const PendingPackage& package, state::Ledger& ledger, std::size_t index);
// For a package applied before: its verified copies (made again from the media if gone), volumes by size.
void reverify_applied(PendingPackage& package, const ImportOptions& options,
                      const manifest::TrustStore& trust);

// --- import/gap_check.cpp ---

// Sets report.missing (inventory against disk, then the metadata, naming the updates) and
// report.gaps, for `package` just applied (or applied before), from a new listing of `store`.
void check_gaps(const verify::VerifiedPackage& package, verify::StoreListing& store, state::Ledger& ledger,
                ImportReport& report);

// --- import/mirror_run.cpp ---

// Plans the removals against the newest package applied (in this run or before), from a new listing of
// `store`; `base` is set to that package. Refuses packages of several sources (kUsage); sets
// report.mirror (with a note when nothing is mirrored).
std::optional<MirrorPlan> plan_mirror_run(const ImportOptions& options,
                                          const std::vector<PendingPackage>& pending,
                                          verify::StoreListing& store, MirrorOptions& mirror_options,
                                          ImportReport& report, const PendingPackage*& base);
// Applies the plan as a run of its own in the journal (mode "mirror"): failed when it fails halfway.
MirrorResult apply_recorded_mirror(const MirrorPlan& plan, const PendingPackage& base,
                                   const ImportOptions& options, const MirrorOptions& mirror_options,
                                   state::Ledger& ledger);

// --- import/approvals_step.cpp ---

// The package whose approvals.json states the connected side's approvals (the newest of this run's with
// one, else the newest applied before), that file, and the server to apply it to.
struct ApprovalsContext {
  const PendingPackage* package = nullptr;
  manifest::ApprovalsFile file;
  std::unique_ptr<wsus::ApprovalServer> server;
};
// Before anything changes: reads the approvals file (pinned and verified) and the offline server's
// settings, and refuses (kServerSettings) a mismatch Microsoft forbids or a replica server; warns about a
// different WSUS version. nullopt when skipped or no package carries approvals.
std::optional<ApprovalsContext> check_server_settings(const ImportOptions& options,
                                                      const std::vector<PendingPackage>& pending,
                                                      ImportReport& report);
// After wsusutil import: plans the changes and, with apply, applies them and records the set in the
// ledger; sets report.approvals (exit 5 for held-back licences, 1 when applying stopped halfway).
void run_approvals(ApprovalsContext& context, const ImportOptions& options, state::Ledger& ledger,
                   ImportReport& report);

// --- import/receipt_writer.cpp ---

// Writes the receipt onto the first media folder (a warning when it cannot), to --receipt-out, and
// the content request to --request-out, signed with `key` when given; its digest is of a new listing
// of `store`.
void write_receipts(const ImportOptions& options, state::Ledger& ledger,
                    const std::vector<PendingPackage>& pending, verify::StoreListing& store,
                    const std::optional<manifest::SigningKey>& key, ImportReport& report);

}  // namespace wsa::importing
