#pragma once
// The order rules: each source's packages are applied 1, 2, 3 ... each naming the SHA-256 of the
// manifest before it. Order comes from sequences, never from clocks (except an explicit expiry).

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "manifest/transfer_manifest.h"

namespace wsa::verify {

// What the ledger knows was last applied from the package's source.
struct AppliedTip {
  std::uint64_t sequence = 0;
  std::string manifest_sha256;
};

enum class OrderVerdict { kApply, kAlreadyApplied };

struct OrderOptions {
  bool allow_new_baseline = false;  // a full package may restart the chain (--new-baseline)
  std::int64_t now_utc = 0;         // seconds since the epoch, for expiry
};

// kApply when the package is the next in its chain; kAlreadyApplied when it is exactly the package
// applied last (a re-run is a no-op); otherwise an ExitCode::kOrder error that names the package and,
// for a gap, the missing sequences.
Result<OrderVerdict> check_order(const manifest::TransferManifest& manifest,
                                 const std::string& manifest_sha256, const std::optional<AppliedTip>& tip,
                                 const OrderOptions& options);

}  // namespace wsa::verify
