#include "common/run_lock.h"

#include <boost/filesystem/operations.hpp>

#include <string>

namespace wsa {

namespace fs = boost::filesystem;

fs::path lock_file_for(const fs::path& object, std::string_view suffix) {
  boost::system::error_code ec;
  fs::path canonical = fs::canonical(object, ec);
  if (ec) {
    // Not there yet (a new ledger): the existing part resolved, the rest as given.
    canonical = fs::weakly_canonical(fs::absolute(object), ec);
    if (ec) canonical = fs::absolute(object).lexically_normal();
  }
  if (canonical.filename() == ".") canonical = canonical.parent_path();  // "X/" resolved as "X/."
  return fs::path(canonical.string() + std::string(suffix));
}

Result<platform::ExclusiveLock> lock_for(const fs::path& object, std::string_view suffix) {
  return platform::ExclusiveLock::try_acquire(lock_file_for(object, suffix));
}

}  // namespace wsa
