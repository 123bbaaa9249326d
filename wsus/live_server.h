#pragma once
// Asking the running WSUS server which updates it marks "Failed to download", through its supported
// administration API (Microsoft.UpdateServices.Administration, IUpdate.State == Failed) and never by
// touching its database. The query is wsus/powershell/failed-updates.ps1, embedded at build time and
// run with Windows PowerShell 5.1; tests run the same code with a PowerShell host and a stand-in of
// the API (tests/pwsh-host, tests/wsus-api), or with a program that prints the JSON.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "wsus/export_package.h"

namespace wsa::wsus {

namespace fs = boost::filesystem;

// One update the server could not get every file of, with the files it needs (each also named in
// update.file_sha1_hex) and the download URI of each ("" when the server gave none).
struct FailedUpdate {
  PackageUpdate update;
  std::vector<PackageFile> files;
  std::vector<std::string> uris;  // parallel to `files`
};

// The JSON document the query prints, at most this large (refused unread beyond it).
inline constexpr std::uint64_t kMaxLiveServerOutputBytes = 256ULL << 20;

class LiveServerQuery {
 public:
  virtual ~LiveServerQuery() = default;
  // Every update whose State is Failed. Errors: kOperational naming the program and what to do.
  virtual Result<std::vector<FailedUpdate>> failed_updates() = 0;
};

// Writes the embedded script to a temp folder and runs `powershell` (default: Windows PowerShell 5.1,
// %SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe; elsewhere failed_updates() returns a
// kUsage error saying so) with -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <script>.
// The script's exit codes 10-13 (API missing, access denied, unreachable, failed midway) get hints.
std::unique_ptr<LiveServerQuery> make_powershell_query(std::optional<fs::path> powershell = std::nullopt,
                                                       std::chrono::seconds timeout = std::chrono::hours(2));

// Runs `program` with no arguments and reads its standard output as the script's JSON (tests).
std::unique_ptr<LiveServerQuery> make_program_query(fs::path program,
                                                    std::chrono::seconds timeout = std::chrono::hours(2));

// The PowerShell script (wsus/powershell/failed-updates.ps1): loads the administration assembly,
// GetUpdateServer(), prints [{update_id, revision, title, kb, classification, files:[{name, sha1,
// sha256, size, uri}]}].
std::string_view failed_updates_script();

// Strict parse of that JSON: an array of objects with exactly those fields (sha256, kb, classification
// and uri may be null), GUIDs, 40-hex SHA-1, bounded sizes and counts. Errors (kOperational) name `where`.
Result<std::vector<FailedUpdate>> parse_failed_updates(std::string_view json, const std::string& where);

}  // namespace wsa::wsus
