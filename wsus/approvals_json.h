#pragma once
// The JSON form shared by read-approvals.ps1's output and the package's approvals.json: the fields
// `wsus_version`, `settings`, `groups`, `updates` (wsus/powershell/read-approvals.ps1 gives their form).

#include <nlohmann/json.hpp>

#include "common/strict_json.h"
#include "wsus/approvals.h"

namespace wsa::wsus {

// Reads those four fields of `top` strictly (the caller refuses unknown fields) and checks the whole:
// throws JsonRefusal.
ServerApprovalState read_approval_fields(const JsonObjectReader& top);
// Checks what no single field shows: the group tree, repeated keys, unknown group ids. Throws JsonRefusal.
void check_approval_state(const ServerApprovalState& state);
// The four fields as JSON (keys sorted by nlohmann's map).
void write_approval_fields(const ServerApprovalState& state, nlohmann::json& document);

}  // namespace wsa::wsus
