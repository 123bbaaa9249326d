#pragma once
// The import ledger is the offline side's replay protection: a lost one must not look like a new
// server, or packages applied before are accepted (and their metadata imported) again.

#include <boost/filesystem/path.hpp>

namespace wsa::importing {

namespace fs = boost::filesystem;

// Throws (kOperational, with a hint naming --new-ledger) when `state` does not exist while `content`
// already holds a WsusContent file (`XX/<SHA1>.ext`). Stops at the first such file.
void refuse_new_ledger_beside_content(const fs::path& state, const fs::path& content);

}  // namespace wsa::importing
