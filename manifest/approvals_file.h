#pragma once
// approvals.json: the connected server's computer groups, approvals, declines and settings, carried in
// the package and pinned by its signed manifest (docs/format.md, "approvals.json").

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "wsus/approvals.h"

namespace wsa::manifest {

namespace fs = boost::filesystem;

inline constexpr int kApprovalsFormatVersion = 1;
inline constexpr const char* kApprovalsKind = "wsus-airgap approvals";
// Larger files are refused unread (exit 3); the writer refuses to write one (exit 1).
inline constexpr std::uint64_t kMaxApprovalsBytes = 64ULL << 20;

struct ApprovalsFile {
  std::string created_utc;
  std::string source_host;
  // Settings and groups as the connected server has them; updates only those approved or declined.
  wsus::ServerApprovalState state;
};

// What travels: every update with an approval or declined, nothing else (a server holds far more).
ApprovalsFile approvals_to_carry(const wsus::ServerApprovalState& connected, std::string created_utc,
                                 std::string source_host);

// Sorted keys, two-space indentation, "\n" at the end. Errors (kOperational) when it would exceed
// kMaxApprovalsBytes.
Result<std::string> serialize_approvals(const ApprovalsFile& file);

// Strict: format_version first (older and newer refused with their own messages), unknown fields,
// duplicate keys, non-UTC deadlines, unknown group ids, a repeated update or group, more than the
// bounds of wsus/approvals.h, over kMaxApprovalsBytes. Errors use kIntegrity and name `where`.
Result<ApprovalsFile> parse_approvals(std::string_view json, const std::string& where);
// Reads the file (refused unread beyond kMaxApprovalsBytes) and parses it.
Result<ApprovalsFile> read_approvals(const fs::path& file);

}  // namespace wsa::manifest
