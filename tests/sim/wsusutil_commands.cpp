#include "tests/sim/wsusutil_commands.h"

#include <fmt/format.h>
#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <thread>

#include "tests/sim/catalog.h"
#include "tests/sim/import_state.h"
#include "tests/sim/package_parser.h"
#include "tests/sim/package_writer.h"
#include "tests/sim/server_log.h"

namespace wsa::sim {

namespace {

constexpr std::string_view kExportWhere = "ExportPackage.Export";
constexpr std::string_view kImportWhere = "ImportPackage.Import";

std::optional<ServerLog> open_log(const fs::path& path, bool utf16) {
  auto log = ServerLog::open(path, utf16);
  if (!log) {
    std::fprintf(stderr, "wsusutil-sim: error: %s\n", log.error().message().c_str());
    return std::nullopt;
  }
  return std::move(*log);
}

// The slow run: the wait happens before any output is committed, so a run killed during it leaves
// no package and no state change, as a killed wsusutil would.
void wait_if_asked(std::chrono::milliseconds delay) {
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

Result<void> flip_middle_bytes(const fs::path& path) {
  boost::system::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size < 2) return make_error(ExitCode::kOperational, path.string(), "too small to corrupt");
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.string().c_str(), "r+b"));
  if (!file) return make_error(ExitCode::kOperational, path.string(), "cannot open to corrupt");
  const auto start = static_cast<long>(size / 2);
  const long count = std::min<long>(8, static_cast<long>(size) - start);
  for (long i = 0; i < count; ++i) {
    std::fseek(file.get(), start + i, SEEK_SET);
    const int byte = std::fgetc(file.get());
    std::fseek(file.get(), start + i, SEEK_SET);
    std::fputc(byte ^ 0xFF, file.get());
  }
  if (std::fflush(file.get()) != 0) return make_error(ExitCode::kOperational, path.string(), "cannot write");
  return {};
}

// Damage happens after a normal write: the real failures leave a package that looks finished.
Result<void> damage_package(const fs::path& package, FailureMode failure) {
  boost::system::error_code ec;
  if (failure == FailureMode::kTruncated) {
    const auto size = fs::file_size(package, ec);
    if (!ec) fs::resize_file(package, size / 2, ec);
    if (ec) return make_error(ExitCode::kOperational, package.string(), "cannot truncate: " + ec.message());
  } else if (failure == FailureMode::kCorrupt) {
    return flip_middle_bytes(package);
  }
  return {};
}

int export_package(const ExportRequest& request, ServerLog& log) {
  log.info(kExportWhere, fmt::format("Exporting update metadata to {}", request.package.string()));
  if (request.failure == FailureMode::kExit) {
    wait_if_asked(request.delay);
    log.error(kExportWhere, "Export failed: the simulator was asked to fail (WSUSUTIL_SIM_FAIL=exit)");
    return 1;
  }
  if (request.catalog.empty()) {
    log.error(kExportWhere, "Export failed: no update catalog: set WSUSUTIL_SIM_CATALOG or pass --catalog");
    return 1;
  }
  const auto form = package_form_for(request.package);
  if (!form) {
    log.error(kExportWhere, fmt::format("Export failed: {}: unknown package type (expected .cab or .xml.gz)",
                                        request.package.string()));
    return 1;
  }
  auto catalog = load_catalog(request.catalog);
  if (!catalog) {
    log.error(kExportWhere, "Export failed: cannot read the update catalog " + catalog.error().message());
    return 1;
  }
  const std::size_t file_count = catalog->distinct_files().size();
  log.info(kExportWhere, fmt::format("Exporting {} updates referencing {} files from catalog {}",
                                     catalog->updates.size(), file_count, request.catalog.string()));
  wait_if_asked(request.delay);

  if (request.failure == FailureMode::kZeroByte) {
    // KB2819484: the real tool reported success and left an empty package behind.
    boost::filesystem::ofstream empty(request.package, std::ios::binary | std::ios::trunc);
    if (!empty) {
      log.error(kExportWhere, "Export failed: cannot create " + request.package.string());
      return 1;
    }
  } else {
    if (auto written = write_export_package(*catalog, request.package, *form, request.cab_compression);
        !written) {
      log.error(kExportWhere, "Export failed: " + written.error().message());
      return 1;
    }
    if (auto damaged = damage_package(request.package, request.failure); !damaged) {
      log.error(kExportWhere, "Export failed: " + damaged.error().message());
      return 1;
    }
  }
  log.info(kExportWhere, fmt::format("Export completed: exported {} updates and {} files to {}",
                                     catalog->updates.size(), file_count, request.package.string()));
  return 0;
}

int import_package(const ImportRequest& request, ServerLog& log) {
  log.info(kImportWhere, fmt::format("Importing update metadata from {}", request.package.string()));
  if (request.failure == FailureMode::kExit) {
    wait_if_asked(request.delay);
    log.error(kImportWhere, "Import failed: the simulator was asked to fail (WSUSUTIL_SIM_FAIL=exit)");
    return 1;
  }
  // Validate everything first: a half-imported package must never reach the state file.
  auto parsed = parse_export_package(request.package);
  if (!parsed) {
    log.error(kImportWhere, "Import failed: " + parsed.error().message());
    return 1;
  }
  log.info(kImportWhere,
           fmt::format("Package ({}) from server {} holds {} updates and {} files", parsed->container,
                       parsed->server_id, parsed->updates.size(), parsed->file_count));
  wait_if_asked(request.delay);
  fs::path state = request.state;
  if (state.empty()) state = request.log.parent_path() / "wsusutil-sim-state.json";
  const std::string now = format_iso_time(std::chrono::system_clock::now());
  if (auto recorded = record_import(state, request.package, parsed->updates, now); !recorded) {
    log.error(kImportWhere,
              "Import failed: cannot record the imported updates: " + recorded.error().message());
    return 1;
  }
  log.info(kImportWhere, fmt::format("Import completed: imported {} updates from {}", parsed->updates.size(),
                                     request.package.string()));
  return 0;
}

// Any unexpected exception still ends as an Error line, as a crash of the real tool would be noticed.
template <class Request, class Body>
int run_logged(const Request& request, std::string_view where, Body body) {
  auto log = open_log(request.log, request.utf16_log);
  if (!log) return 1;
  try {
    return body(request, *log);
  } catch (const std::exception& e) {
    log->error(where, std::string("Unexpected failure: ") + e.what());
    return 1;
  }
}

}  // namespace

std::optional<FailureMode> parse_failure_mode(std::string_view text) {
  if (text.empty() || text == "none") return FailureMode::kNone;
  if (text == "exit") return FailureMode::kExit;
  if (text == "zero-byte") return FailureMode::kZeroByte;
  if (text == "truncated") return FailureMode::kTruncated;
  if (text == "corrupt") return FailureMode::kCorrupt;
  return std::nullopt;
}

int run_export(const ExportRequest& request) {
  return run_logged(request, kExportWhere, export_package);
}

int run_import(const ImportRequest& request) {
  return run_logged(request, kImportWhere, import_package);
}

}  // namespace wsa::sim
