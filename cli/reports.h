#pragma once
// Human summaries and `--json` documents (one object on stdout, for PowerShell's ConvertFrom-Json).

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "export/export_pipeline.h"
#include "import/import_pipeline.h"
#include "state/ledger.h"
#include "verify/package_check.h"

namespace wsa::cli {

void print_export(const exporting::ExportReport& report, bool json);
void print_verify(const verify::MediaCheck& check, bool json);
void print_import(const importing::ImportReport& report, bool json);
// The approvals step of an import, as text and as JSON (cli/approvals_report.cpp).
void print_approvals(const importing::ApprovalsReport& report);
nlohmann::json approvals_json(const importing::ApprovalsReport& report);

}  // namespace wsa::cli
