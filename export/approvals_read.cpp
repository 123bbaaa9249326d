#include <boost/filesystem/operations.hpp>

#include "common/atomic_file.h"
#include "common/digest.h"
#include "common/platform.h"
#include "export/export_run.h"
#include "manifest/approvals_file.h"
#include "wsus/approval_server.h"

namespace wsa::exporting {

std::optional<manifest::PinnedFile> write_approvals(ExportRun& run) {
  const auto& options = run.options;
  if (!options.read_approvals) return std::nullopt;
  auto server = wsus::make_powershell_approval_server(options.powershell, "--approvals read");
  auto state = value_or_throw(server->read());
  auto file = manifest::approvals_to_carry(state, manifest::utc_now(), platform::host_name());
  ApprovalsSummary summary;
  summary.groups = file.state.groups.size();
  summary.updates = file.state.updates.size();
  summary.wsus_version = file.state.settings.wsus_version;
  for (const auto& update : file.state.updates) {
    summary.approvals += update.approvals.size();
    summary.declined += update.declined ? 1 : 0;
  }
  run.report.approvals = summary;
  std::string text = value_or_throw(manifest::serialize_approvals(file));
  if (options.dry_run) return std::nullopt;
  value_or_throw(write_file_atomically(run.partial_dir / manifest::kApprovalsFileName, text));
  return manifest::PinnedFile{manifest::kApprovalsFileName, text.size(), sha256_hex(text)};
}

}  // namespace wsa::exporting
