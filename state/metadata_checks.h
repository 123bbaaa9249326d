#pragma once
// The completeness checks export made of a metadata package against a scan of its store that found
// every referenced file (table `metadata_checks`, schema 5). The same package bytes checked against the
// same listing give the same answer, so an unchanged re-export does not parse the package again.

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "state/sqlite.h"

namespace wsa::state {

// One check that found nothing missing: the package's SHA-256, the digest of the scan's listing it was
// checked against (verify::listing_digest), and what the check counted.
struct MetadataCheck {
  std::string package_sha256;
  std::string listing_sha256;
  std::uint64_t updates_read = 0;
  std::uint64_t updates_checked = 0;
  std::uint64_t files_checked = 0;
  std::string checked_utc;
};

// The `metadata_checks` table of one connection. Not thread-safe: the Ledger serializes its use.
class MetadataChecks {
 public:
  // The newest checks kept: a few packages and stores, enough for a dry run followed by the real one.
  static constexpr int kKept = 8;

  explicit MetadataChecks(sqlite::Database& db) : db_(&db) {}

  Result<std::optional<MetadataCheck>> find(const std::string& package_sha256,
                                            const std::string& listing_sha256);
  // Whether any check read these package bytes whole (then they are a well-formed package).
  Result<bool> knows_package(const std::string& package_sha256);
  // Records the check (an empty checked_utc means now) and drops all but the newest kKept, in one
  // transaction.
  Result<void> record(const MetadataCheck& check);

 private:
  sqlite::Database* db_;
};

}  // namespace wsa::state
