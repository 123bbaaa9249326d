#pragma once
// The simulator's stand-in for the imported side of SUSDB: which updates `wsusutil import` has recorded.
//
// On-disk form (JSON), created and replaced atomically:
//   {
//     "format": "wsusutil-sim-state", "version": 1,
//     "updates": [ { "update_id": "<guid>", "revision": 201, "title": "...",
//                    "imported_at": "2026-11-20T08:00:00.123Z", "package": "/path/export.xml.gz" } ],
//     "imports": [ { "package": "/path/export.xml.gz", "imported_at": "...", "updates": 12 } ]
//   }
// `updates` holds one entry per update id (a newer import replaces revision, title and time); `imports`
// lists every successful import run in order.

#include <boost/filesystem/path.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "tests/sim/package_parser.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

// Records `updates` from `package` into the state file at `state` (created when absent). Refuses a
// state file it cannot read rather than overwrite it.
Result<void> record_import(const fs::path& state, const fs::path& package,
                           const std::vector<PackagedUpdate>& updates, const std::string& imported_at);

}  // namespace wsa::sim
