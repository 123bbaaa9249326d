#pragma once
// One run at a time per ledger and per content folder, whatever spelling names them.

#include <boost/filesystem/path.hpp>

#include <string_view>

#include "common/error.h"
#include "common/platform.h"

namespace wsa {

// The lock file for `object`: `<canonical path><suffix>`, so `X`, `X/`, `./X` and a link to X share one
// lock (the path as typed would give each spelling its own). `object` need not exist yet.
boost::filesystem::path lock_file_for(const boost::filesystem::path& object, std::string_view suffix);

// Takes the exclusive lock for `object` (platform::ExclusiveLock::try_acquire on lock_file_for).
Result<platform::ExclusiveLock> lock_for(const boost::filesystem::path& object, std::string_view suffix);

}  // namespace wsa
