// signatures.json as it arrives on the media.
#include "fuzz/fuzz_support.h"
#include "manifest/trust.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wsa::fuzz::check(wsa::manifest::parse_signatures(text, "signatures.json"));
  return 0;
}
