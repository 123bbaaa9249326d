#pragma once
// The offline side: find the packages on the media, prove them authentic and intact, check their
// order against the ledger, place content first, run wsusutil import last, and report what is missing.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::importing {

namespace fs = boost::filesystem;

struct ImportOptions {
  std::vector<fs::path> media;
  fs::path content;  // the offline server's WsusContent
  std::vector<fs::path> trust;
  std::size_t threshold = 1;
  fs::path state;
  std::optional<fs::path> wsusutil;
  bool no_metadata_import = false;
  bool dry_run = false;
  bool new_baseline = false;  // a full package may restart a source's chain
  bool show_progress = false;
  std::chrono::seconds wsusutil_timeout{6 * 3600};
};

struct PackageOutcome {
  std::uint64_t sequence = 0;
  std::string source_id;
  std::string folder;
  std::string mode;
  std::string result;  // "applied", "already applied", "would apply", "applied, wsusutil failed"
  std::uint64_t files_placed = 0;
  std::uint64_t bytes_placed = 0;
  std::uint64_t files_already_present = 0;
  bool metadata_imported = false;
};

struct ImportReport {
  std::vector<PackageOutcome> packages;
  std::vector<std::string> missing;  // inventory files absent or of the wrong size after import
  std::vector<fs::path> incomplete;  // package folders without a manifest, ignored
  bool dry_run = false;
  ExitCode exit_code = ExitCode::kSuccess;  // kGaps when files are missing
};

// Runs the whole import. Integrity, order and wsusutil failures throw AirgapError with their exit
// code (3, 4, 6); content gaps after a finished import are reported with exit_code kGaps.
ImportReport run_import(const ImportOptions& options);

}  // namespace wsa::importing
