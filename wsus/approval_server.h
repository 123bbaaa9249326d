#pragma once
// Reading a WSUS server's approvals (wsus/powershell/read-approvals.ps1, read-only) and applying a plan
// of changes to them (wsus/powershell/apply-approvals.ps1), through the administration API, with the
// embedded scripts run as wsus/powershell_runner.h runs them.

#include <boost/filesystem/path.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "wsus/approvals.h"

namespace wsa::wsus {

namespace fs = boost::filesystem;

// A group as the plan names it: by its id on the server, or (made earlier in the same plan) by its
// path of names below All Computers.
struct GroupReference {
  std::string id;
  std::vector<std::string> path;  // used when id is empty
};

// One change to the server. create_group: `group` is the parent, `name` the new group's.
struct ApprovalOperation {
  enum class Kind { kCreateGroup, kAcceptLicense, kApprove, kRemoveApproval, kDecline };
  Kind kind = Kind::kApprove;
  std::string update_id;
  std::uint32_t revision = 0;
  GroupReference group;
  std::string name;
  Approval approval;  // kApprove: action, optional, deadline
};
const char* to_string(ApprovalOperation::Kind kind);

struct ApplyResult {
  std::size_t applied = 0;       // operations done, in plan order
  std::optional<Error> failure;  // why operation `applied` failed (the later ones were not tried)
};

class ApprovalServer {
 public:
  virtual ~ApprovalServer() = default;
  // Everything read-approvals.ps1 reports. Errors: kOperational with a hint per script exit code.
  virtual Result<ServerApprovalState> read() = 0;
  // Applies `operations` in order and stops at the first that fails.
  virtual ApplyResult apply(const std::vector<ApprovalOperation>& operations) = 0;
};

// The embedded scripts run by `powershell` (default: Windows PowerShell 5.1; elsewhere read() and
// apply() return a kUsage error naming `option`).
std::unique_ptr<ApprovalServer> make_powershell_approval_server(
    std::optional<fs::path> powershell, std::string option,
    std::chrono::seconds timeout = std::chrono::hours(2));

// The plan file apply-approvals.ps1 reads: {"operations":[...]}, ASCII (non-ASCII escaped).
std::string plan_to_json(const std::vector<ApprovalOperation>& operations);

}  // namespace wsa::wsus
