#pragma once
// `wsusutil export` and `wsusutil import` as the simulator plays them: the same arguments and the same
// kind of log as the real tool, plus failures and slowness on request.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <optional>
#include <string_view>

#include "tests/sim/cab_writer.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

// How a run should go wrong (WSUSUTIL_SIM_FAIL / --fail).
enum class FailureMode {
  kNone,       // a normal run
  kExit,       // an Error line in the log, no package, exit code 1
  kZeroByte,   // a 0-byte package and exit code 0, as in KB2819484 (export only)
  kTruncated,  // the package cut in the middle, exit code 0 (export only)
  kCorrupt,    // bytes flipped in the middle of the package, exit code 0 (export only)
};

// "", "none", "exit", "zero-byte", "truncated", "corrupt" -> the mode; nullopt for anything else.
std::optional<FailureMode> parse_failure_mode(std::string_view text);

struct ExportRequest {
  fs::path package;
  fs::path log;
  fs::path catalog;  // empty: not configured (an error for export)
  FailureMode failure = FailureMode::kNone;
  std::chrono::milliseconds delay{0};
  CabCompression cab_compression = CabCompression::kMszip;
  bool utf16_log = false;  // the log in UTF-16LE (ServerLog::open)
};

struct ImportRequest {
  fs::path package;
  fs::path log;
  fs::path state;  // empty: "wsusutil-sim-state.json" beside the log file
  FailureMode failure = FailureMode::kNone;
  std::chrono::milliseconds delay{0};
  bool utf16_log = false;
};

// Runs an export; returns the process exit code (0 success, 1 failure), the log says why.
int run_export(const ExportRequest& request);

// Runs an import; returns the process exit code (0 success, 1 failure), the log says why. The state
// file is touched only after the whole package has been validated.
int run_import(const ImportRequest& request);

}  // namespace wsa::sim
