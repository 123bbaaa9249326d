#include "manifest/approvals_file.h"

#include <algorithm>
#include <tuple>

#include "common/atomic_file.h"
#include "common/encoding.h"
#include "common/strict_json.h"
#include "common/text.h"
#include "manifest/transfer_manifest.h"
#include "wsus/approvals_json.h"

namespace wsa::manifest {

namespace {
using nlohmann::json;
constexpr const char* kHint =
    "the approvals file is not one this wsus-airgap wrote: export again on the connected server";
}  // namespace

ApprovalsFile approvals_to_carry(const wsus::ServerApprovalState& connected, std::string created_utc,
                                 std::string source_host) {
  ApprovalsFile file;
  file.created_utc = std::move(created_utc);
  file.source_host = std::move(source_host);
  file.state.settings = connected.settings;
  file.state.groups = connected.groups;
  for (const auto& update : connected.updates) {
    if (update.declined || !update.approvals.empty()) file.state.updates.push_back(update);
  }
  // The reader's order, so a file reads back equal to what was written.
  std::sort(file.state.updates.begin(), file.state.updates.end(), [](const auto& a, const auto& b) {
    return std::tie(a.update_id, a.revision) < std::tie(b.update_id, b.revision);
  });
  for (auto& update : file.state.updates) {
    std::sort(update.approvals.begin(), update.approvals.end(),
              [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  }
  return file;
}

Result<std::string> serialize_approvals(const ApprovalsFile& file) {
  json document{{"format_version", kApprovalsFormatVersion},
                {"kind", kApprovalsKind},
                {"created_utc", file.created_utc},
                {"source_host", to_printable_ascii(file.source_host, 255)}};
  wsus::write_approval_fields(file.state, document);
  std::string text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  if (text.size() > kMaxApprovalsBytes) {
    return make_error(
        ExitCode::kOperational, kApprovalsFileName,
        "is too large: " + format_bytes(text.size()) + "; the limit is " + format_bytes(kMaxApprovalsBytes),
        "decline superseded updates on the connected server, or export with --approvals skip");
  }
  return text;
}

Result<ApprovalsFile> parse_approvals(std::string_view text, const std::string& where) {
  try {
    if (text.size() > kMaxApprovalsBytes) {
      throw JsonRefusal{"is too large: " + std::to_string(text.size()) + " bytes; the limit is " +
                        std::to_string(kMaxApprovalsBytes)};
    }
    json document = parse_strict_json(text, kMaxApprovalsBytes);
    JsonObjectReader top(document, "");
    auto version = top.integer("format_version");
    if (version < kApprovalsFormatVersion) {
      return make_error(ExitCode::kIntegrity, where,
                        "approvals format version " + std::to_string(version) +
                            " is older than this wsus-airgap reads (" +
                            std::to_string(kApprovalsFormatVersion) + ")",
                        "export the package again with a current wsus-airgap on the connected server");
    }
    if (version > kApprovalsFormatVersion) {
      return make_error(ExitCode::kIntegrity, where,
                        "was written by a newer wsus-airgap (format " + std::to_string(version) +
                            "); this one reads format " + std::to_string(kApprovalsFormatVersion) +
                            ": upgrade wsus-airgap on this server");
    }
    top.refuse_unknown({"format_version", "kind", "created_utc", "source_host", "wsus_version", "settings",
                        "groups", "updates"});
    if (top.string("kind") != kApprovalsKind) {
      throw JsonRefusal{"field kind is not \"" + std::string(kApprovalsKind) + "\""};
    }
    ApprovalsFile file;
    file.created_utc = top.string("created_utc");
    if (!parse_utc(file.created_utc))
      throw JsonRefusal{"field created_utc is not a UTC time YYYY-MM-DDTHH:MM:SSZ"};
    file.source_host = top.text("source_host", 255, /*allow_empty=*/true);
    file.state = wsus::read_approval_fields(top);
    for (const auto& update : file.state.updates) {
      for (const auto& approval : update.approvals) {
        if (!parse_utc(approval.deadline_utc) && !approval.deadline_utc.empty()) {
          throw JsonRefusal{"update " + update.update_id + ": deadline \"" + approval.deadline_utc +
                            "\" is not a valid UTC time"};
        }
      }
    }
    return file;
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, where, refusal.why, kHint);
  }
}

Result<ApprovalsFile> read_approvals(const fs::path& file) {
  auto text = read_small_file(file, kMaxApprovalsBytes);
  if (!text) {
    Error error = text.error();
    error.code = ExitCode::kIntegrity;
    return std::unexpected(error);
  }
  return parse_approvals(*text, file.string());
}

}  // namespace wsa::manifest
