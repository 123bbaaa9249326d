#include "import/ledger_guard.h"

#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include "common/error.h"
#include "wsus/content_name.h"

namespace wsa::importing {

void refuse_new_ledger_beside_content(const fs::path& state, const fs::path& content) {
  boost::system::error_code ec;
  // Anything but "certainly not there" is for the ledger's own open to judge.
  if (fs::status(state, ec).type() != fs::file_not_found) return;
  for (fs::directory_iterator folder(content, ec), end; !ec && folder != end; folder.increment(ec)) {
    boost::system::error_code inner;
    for (fs::directory_iterator file(folder->path(), inner); !inner && file != end; file.increment(inner)) {
      auto name = folder->path().filename().string() + "/" + file->path().filename().string();
      if (!wsus::parse_content_path(name) || !fs::is_regular_file(file->status())) continue;
      fail(ExitCode::kOperational, state.string(),
           "does not exist, but " + content.string() + " already holds content files (" + name + ")",
           "restore the import ledger from a backup (without it, packages applied before are applied again); "
           "to start a new ledger for this content on purpose, add --new-ledger");
    }
  }
}

}  // namespace wsa::importing
