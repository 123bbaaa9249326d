#pragma once
// Human summaries and `--json` documents (one object on stdout, for PowerShell's ConvertFrom-Json).

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

}  // namespace wsa::cli
