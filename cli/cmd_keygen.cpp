#include "cli/command_support.h"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <memory>

#include "manifest/keys.h"

namespace wsa::cli {

Runner define_keygen(CLI::App& app) {
  auto prefix = std::make_shared<std::string>();
  app.add_option("--out", *prefix, "Write PREFIX.key (private, owner-only) and PREFIX.pub (required)");
  return [prefix]() {
    require(*prefix, "--out", "keygen");
    auto key = value_or_throw(manifest::SigningKey::generate());
    value_or_throw(key.save(*prefix));
    std::printf(
        "key id: %s\nprivate key: %s.key (keep it on the connected side, owner-only)\n"
        "public key:  %s.pub (copy it to the offline server for --trust)\n",
        key.key_id().c_str(), prefix->c_str(), prefix->c_str());
    return ExitCode::kSuccess;
  };
}

}  // namespace wsa::cli
