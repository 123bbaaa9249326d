// A tar volume as import streams it: every entry header, then its data.
#include "fuzz/fuzz_support.h"
#include "verify/volume_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto file = wsa::fuzz::scratch_file("content.tar.000", {reinterpret_cast<const char*>(data), size});
  auto reader = wsa::verify::VolumeReader::open({file});
  wsa::fuzz::check(reader);
  if (!reader) return 0;
  char buffer[4096];
  for (int entries = 0; entries < 10000; ++entries) {
    auto entry = reader->next();
    wsa::fuzz::check(entry);
    if (!entry || !*entry) break;
    while (true) {
      auto got = reader->read(buffer, sizeof buffer);
      wsa::fuzz::check(got);
      if (!got || *got == 0) break;
    }
  }
  return 0;
}
