#include "tests/support/catch.h"
#include "verify/sequence_chain.h"

using namespace wsa;
using verify::AppliedTip;
using verify::OrderVerdict;

namespace {
manifest::TransferManifest package(std::uint64_t sequence, std::string previous,
                                   manifest::PackageMode mode = manifest::PackageMode::kIncremental) {
  manifest::TransferManifest m;
  m.source_id = "6f1d2c3b-0000-4000-8000-000000000001";
  m.sequence = sequence;
  m.previous_manifest_sha256 = std::move(previous);
  m.mode = mode;
  return m;
}
const std::string kHash1(64, '1');
const std::string kHash2(64, '2');
const std::string kHash3(64, '3');
verify::OrderOptions at(std::int64_t now) {
  return {false, now};
}
}  // namespace

TEST_CASE("the first package of a source is sequence 1") {
  CHECK(verify::check_order(package(1, ""), kHash1, std::nullopt, at(0)).value() == OrderVerdict::kApply);
  auto later = verify::check_order(package(3, kHash2), kHash3, std::nullopt, at(0));
  REQUIRE_FALSE(later);
  CHECK(later.error().code == ExitCode::kOrder);
  CHECK(later.error().why.find("missing sequences 1-2") != std::string::npos);
}

TEST_CASE("the next sequence that names the last manifest is applied") {
  AppliedTip tip{1, kHash1};
  CHECK(verify::check_order(package(2, kHash1), kHash2, tip, at(0)).value() == OrderVerdict::kApply);
}

TEST_CASE("the package applied last is recognised as already applied") {
  AppliedTip tip{2, kHash2};
  CHECK(verify::check_order(package(2, kHash1), kHash2, tip, at(0)).value() == OrderVerdict::kAlreadyApplied);
}

TEST_CASE("import refuses a sequence gap and names the missing sequences") {
  AppliedTip tip{1, kHash1};
  auto gap = verify::check_order(package(5, kHash3), kHash3, tip, at(0));
  REQUIRE_FALSE(gap);
  CHECK(gap.error().code == ExitCode::kOrder);
  CHECK(gap.error().what == "wsus-airgap-000005");
  CHECK(gap.error().why == "leaves a gap: last applied is 1, missing sequences 2-4");
}

TEST_CASE("a replay of an older or different same-numbered package is refused") {
  AppliedTip tip{3, kHash3};
  auto older = verify::check_order(package(2, kHash1), kHash2, tip, at(0));
  REQUIRE_FALSE(older);
  CHECK(older.error().why.find("is a replay: sequence 2 is not newer than 3") == 0);
  auto twin = verify::check_order(package(3, kHash2), kHash1, tip, at(0));
  REQUIRE_FALSE(twin);
  CHECK(twin.error().code == ExitCode::kOrder);
}

TEST_CASE("a package that does not name the last applied manifest breaks the chain") {
  AppliedTip tip{1, kHash1};
  auto broken = verify::check_order(package(2, kHash3), kHash2, tip, at(0));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().why.find("breaks the chain") == 0);
}

TEST_CASE("a full package restarts the chain only with the new-baseline flag") {
  AppliedTip tip{1, kHash1};
  auto full = package(7, kHash3, manifest::PackageMode::kFull);
  CHECK_FALSE(verify::check_order(full, kHash2, tip, at(0)));
  CHECK(verify::check_order(full, kHash2, tip, {true, 0}).value() == OrderVerdict::kApply);
  CHECK(verify::check_order(full, kHash2, std::nullopt, {true, 0}).value() == OrderVerdict::kApply);
  auto without = verify::check_order(full, kHash2, std::nullopt, at(0));
  REQUIRE_FALSE(without);
  CHECK(without.error().hint.find("--new-baseline") != std::string::npos);
}

TEST_CASE("an expired package is refused, and clocks play no other part") {
  auto m = package(1, "");
  m.expires_utc = "2026-01-01T00:00:00Z";
  auto expired = verify::check_order(m, kHash1, std::nullopt, at(1'800'000'000));
  REQUIRE_FALSE(expired);
  CHECK(expired.error().why == "expired at 2026-01-01T00:00:00Z");
  // A creation time far in the future (clock skew) does not matter.
  m.expires_utc.reset();
  m.created_utc = "2099-01-01T00:00:00Z";
  CHECK(verify::check_order(m, kHash1, std::nullopt, at(0)).value() == OrderVerdict::kApply);
}
