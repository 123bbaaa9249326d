#include "verify/sequence_chain.h"

namespace wsa::verify {

namespace {
std::string name_of(std::uint64_t sequence) {
  return manifest::package_folder_name(sequence);
}

std::string missing_range(std::uint64_t first, std::uint64_t last) {
  if (first == last) return std::to_string(first);
  return std::to_string(first) + "-" + std::to_string(last);
}
}  // namespace

Result<OrderVerdict> check_order(const manifest::TransferManifest& manifest,
                                 const std::string& manifest_sha256, const std::optional<AppliedTip>& tip,
                                 const OrderOptions& options) {
  const std::string what = name_of(manifest.sequence);
  if (manifest.expires_utc) {
    auto expires = manifest::parse_utc(*manifest.expires_utc);
    if (expires && *expires < options.now_utc) {
      return make_error(
          ExitCode::kOrder, what, "expired at " + *manifest.expires_utc,
          "an old package may replay stale metadata; export a fresh package on the connected server");
    }
  }
  bool full = manifest.mode == manifest::PackageMode::kFull;
  if (!tip) {
    if (manifest.sequence == 1 || (full && options.allow_new_baseline)) return OrderVerdict::kApply;
    if (full) {
      return make_error(ExitCode::kOrder, what,
                        "is sequence " + std::to_string(manifest.sequence) +
                            " but this server has applied nothing from source " + manifest.source_id + " yet",
                        "it is a full package: pass --new-baseline to start from it");
    }
    return make_error(
        ExitCode::kOrder, what,
        "is incremental sequence " + std::to_string(manifest.sequence) +
            " but this server has applied nothing from source " + manifest.source_id +
            "; missing sequences " + missing_range(1, manifest.sequence - 1),
        "import the earlier packages first, or export a --full package and import it with --new-baseline");
  }
  if (manifest.sequence == tip->sequence && manifest_sha256 == tip->manifest_sha256) {
    return OrderVerdict::kAlreadyApplied;
  }
  if (manifest.sequence <= tip->sequence) {
    return make_error(ExitCode::kOrder, what,
                      "is a replay: sequence " + std::to_string(manifest.sequence) + " is not newer than " +
                          std::to_string(tip->sequence) + ", already applied from source " +
                          manifest.source_id,
                      "remove old packages from the media; only newer sequences can be imported");
  }
  if (manifest.sequence > tip->sequence + 1) {
    if (full && options.allow_new_baseline) return OrderVerdict::kApply;
    return make_error(ExitCode::kOrder, what,
                      "leaves a gap: last applied is " + std::to_string(tip->sequence) +
                          ", missing sequences " + missing_range(tip->sequence + 1, manifest.sequence - 1),
                      "bring the missing packages across first (or a --full package with --new-baseline)");
  }
  if (manifest.previous_manifest_sha256 != tip->manifest_sha256) {
    if (full && options.allow_new_baseline) return OrderVerdict::kApply;
    return make_error(ExitCode::kOrder, what,
                      "breaks the chain: it follows a manifest with SHA-256 " +
                          (manifest.previous_manifest_sha256.empty() ? std::string("(none)")
                                                                     : manifest.previous_manifest_sha256) +
                          ", but the package applied as sequence " + std::to_string(tip->sequence) + " had " +
                          tip->manifest_sha256,
                      "the packages come from different export histories; check the export server's ledger");
  }
  return OrderVerdict::kApply;
}

}  // namespace wsa::verify
