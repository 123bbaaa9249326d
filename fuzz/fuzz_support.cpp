#include "fuzz/fuzz_support.h"

#include <boost/filesystem/operations.hpp>

#include <unistd.h>
#include <cstdio>

namespace wsa::fuzz {

boost::filesystem::path scratch_file(const std::string& name, std::string_view bytes) {
  static const boost::filesystem::path folder = [] {
    auto path = boost::filesystem::temp_directory_path() / ("wsus-airgap-fuzz-" + std::to_string(::getpid()));
    boost::filesystem::create_directories(path);
    return path;
  }();
  auto path = folder / name;
  std::FILE* file = std::fopen(path.string().c_str(), "wb");
  if (file == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) std::abort();
  std::fclose(file);
  return path;
}

}  // namespace wsa::fuzz
