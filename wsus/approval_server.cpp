#include "wsus/approval_server.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "common/atomic_file.h"
#include "wsus/powershell_runner.h"
#include "wsus/powershell_scripts.h"

namespace wsa::wsus {

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxOutputBytes = 256ULL << 20;

// What to do about each exit code of the two scripts (see their headers).
std::string approvals_hint(int exit_code) {
  switch (exit_code) {
    case 10:
      return "install the WSUS console (Windows feature UpdateServices-UI), which brings the administration "
             "API, "
             "or give --approvals skip";
    case 11:
      return "run from an elevated prompt as a member of the WSUS Administrators group";
    case 12:
      return "check that the WSUS service and its IIS site (WSUS Administration, application pool WsusPool) "
             "are "
             "running on this server";
    default:
      return "run on the WSUS server as a WSUS Administrator, or give --approvals skip";
  }
}

json group_json(const GroupReference& group) {
  if (!group.id.empty()) return group.id;
  return group.path;
}

class PowerShellApprovalServer : public ApprovalServer {
 public:
  PowerShellApprovalServer(std::optional<fs::path> powershell, std::string option,
                           std::chrono::seconds timeout)
      : powershell_(std::move(powershell)), option_(std::move(option)), timeout_(timeout) {}

  Result<ServerApprovalState> read() override {
    auto program = powershell_program(powershell_, option_);
    if (!program) return std::unexpected(program.error());
    auto folder = ScriptFolder::create();
    if (!folder) return std::unexpected(folder.error());
    auto ran = run_powershell_script(*program, *folder, "wsus-read-approvals.ps1",
                                     scripts::kReadApprovalsScript, {}, timeout_, kMaxOutputBytes);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_code != 0) return failed(*program, "read-approvals.ps1", *ran);
    // A host that runs no script at all (no PowerShell, a stub) exits 0 and prints nothing.
    if (ran->out.find_first_not_of(" \t\r\n") == std::string::npos) {
      return make_error(
          ExitCode::kOperational, program->string() + " read-approvals.ps1",
          "printed nothing: the script did not run, or this PowerShell has no UpdateServices module",
          approvals_hint(10));
    }
    return parse_server_approvals(ran->out, program->string() + " read-approvals.ps1 output");
  }

  ApplyResult apply(const std::vector<ApprovalOperation>& operations) override {
    ApplyResult result;
    auto outcome = [&]() -> Result<void> {
      auto program = powershell_program(powershell_, option_);
      if (!program) return std::unexpected(program.error());
      auto folder = ScriptFolder::create();
      if (!folder) return std::unexpected(folder.error());
      fs::path plan = folder->path() / "approval-plan.json";
      std::string text = plan_to_json(operations);
      if (auto written = write_file_atomically(plan, text); !written) return written;
      auto ran =
          run_powershell_script(*program, *folder, "wsus-apply-approvals.ps1", scripts::kApplyApprovalsScript,
                                {"-Plan", plan.string()}, timeout_, kMaxOutputBytes);
      if (!ran) return std::unexpected(ran.error());
      result.applied = count_done(ran->out, operations.size());
      if (ran->exit_code != 0) {
        auto error = failed(*program, "apply-approvals.ps1", *ran);
        return std::unexpected(error.error());
      }
      if (result.applied != operations.size()) {
        return make_error(ExitCode::kOperational, program->string() + " apply-approvals.ps1",
                          "reported " + std::to_string(result.applied) + " of " +
                              std::to_string(operations.size()) + " operations done and exited 0",
                          approvals_hint(-1));
      }
      return {};
    }();
    if (!outcome) result.failure = outcome.error();
    return result;
  }

 private:
  // "done <i>" lines in order 0, 1, 2 ...: the count of operations the script says it finished.
  static std::size_t count_done(const std::string& out, std::size_t planned) {
    std::size_t done = 0;
    std::size_t at = 0;
    while (at < out.size() && done < planned) {
      std::size_t end = out.find('\n', at);
      std::string_view line(out.data() + at, (end == std::string::npos ? out.size() : end) - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t index = 0;
      if (!line.starts_with("done ")) break;
      auto [ptr, ec] = std::from_chars(line.data() + 5, line.data() + line.size(), index);
      if (ec != std::errc() || ptr != line.data() + line.size() || index != done) break;
      ++done;
      if (end == std::string::npos) break;
      at = end + 1;
    }
    return done;
  }

  static Result<ServerApprovalState> failed(const fs::path& program, const std::string& script,
                                            const ScriptOutput& ran) {
    return make_error(ExitCode::kOperational, program.string() + " " + script,
                      "exited with code " + std::to_string(ran.exit_code) +
                          (ran.err.empty() ? "" : "; it said:\n" + ran.err),
                      approvals_hint(ran.exit_code));
  }

  std::optional<fs::path> powershell_;
  std::string option_;
  std::chrono::seconds timeout_;
};

}  // namespace

const char* to_string(ApprovalOperation::Kind kind) {
  switch (kind) {
    case ApprovalOperation::Kind::kCreateGroup:
      return "create_group";
    case ApprovalOperation::Kind::kAcceptLicense:
      return "accept_license";
    case ApprovalOperation::Kind::kApprove:
      return "approve";
    case ApprovalOperation::Kind::kRemoveApproval:
      return "remove_approval";
    case ApprovalOperation::Kind::kDecline:
      break;
  }
  return "decline";
}

std::string plan_to_json(const std::vector<ApprovalOperation>& operations) {
  json list = json::array();
  for (const auto& operation : operations) {
    json entry{{"op", to_string(operation.kind)}};
    switch (operation.kind) {
      case ApprovalOperation::Kind::kCreateGroup:
        entry["parent"] = group_json(operation.group);
        entry["name"] = operation.name;
        break;
      case ApprovalOperation::Kind::kApprove:
        entry["group"] = group_json(operation.group);
        entry["action"] = to_string(operation.approval.action);
        entry["optional"] = operation.approval.optional;
        entry["deadline_utc"] =
            operation.approval.deadline_utc.empty() ? json(nullptr) : json(operation.approval.deadline_utc);
        [[fallthrough]];
      case ApprovalOperation::Kind::kAcceptLicense:
      case ApprovalOperation::Kind::kDecline:
        entry["update_id"] = operation.update_id;
        entry["revision"] = operation.revision;
        break;
      case ApprovalOperation::Kind::kRemoveApproval:
        entry["group"] = group_json(operation.group);
        entry["update_id"] = operation.update_id;
        entry["revision"] = operation.revision;
        break;
    }
    list.push_back(std::move(entry));
  }
  // ensure_ascii: the script reads the file whatever the code page.
  return json{{"operations", std::move(list)}}.dump(-1, ' ', true, json::error_handler_t::replace) + "\n";
}

std::unique_ptr<ApprovalServer> make_powershell_approval_server(std::optional<fs::path> powershell,
                                                                std::string option,
                                                                std::chrono::seconds timeout) {
  return std::make_unique<PowerShellApprovalServer>(std::move(powershell), std::move(option), timeout);
}

}  // namespace wsa::wsus
