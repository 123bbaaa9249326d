// The CAB metadata package. Input: package.xml and metadata.txt separated by the first NUL byte,
// packed into a real cabinet by the simulator's writer, so the fuzzer reaches both members; inputs
// starting with "MSCF" are also read as raw cabinets, to reach libarchive and the container checks.
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "tests/sim/cab_writer.h"
#include "wsus/export_package.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::filesystem::path file;
  if (input.starts_with("MSCF")) {
    file = wsa::fuzz::scratch_file("metadata.cab", input);
  } else {
    auto split = input.find('\0');
    std::string_view xml = input.substr(0, split);
    std::string_view text = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
    file = wsa::fuzz::scratch_file("metadata.cab", "");
    std::vector<wsa::sim::CabinetEntry> entries{
        {"package.xml", [&](const wsa::sim::ByteSink& sink) { sink(xml); }},
        {"metadata.txt", [&](const wsa::sim::ByteSink& sink) { sink(text); }},
    };
    wsa::sim::CabinetOptions options;
    options.compression = wsa::sim::CabCompression::kNone;
    if (!wsa::sim::write_cabinet(file, entries, options)) std::abort();
  }
  wsa::wsus::ReaderLimits limits;
  limits.max_uncompressed_bytes = 64 << 20;
  wsa::wsus::PackageVisitor visitor{[](const wsa::wsus::PackageFile&) {},
                                    [](const wsa::wsus::PackageUpdate&) {}};
  wsa::fuzz::check(wsa::wsus::read_export_package(file, visitor, limits));
  wsa::fuzz::check(wsa::wsus::check_export_package(file));
  return 0;
}
