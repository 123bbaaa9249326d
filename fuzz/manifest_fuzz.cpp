// manifest.json as it arrives on the media: strict JSON, every field checked.
#include "fuzz/fuzz_support.h"
#include "manifest/transfer_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = wsa::manifest::parse_manifest(text, "manifest.json");
  wsa::fuzz::check(parsed);
  // What was accepted must write back to bytes that read back the same.
  if (parsed) {
    auto again = wsa::manifest::parse_manifest(wsa::manifest::serialize_manifest(*parsed), "again");
    if (!again || again->sequence != parsed->sequence || again->source_id != parsed->source_id) std::abort();
  }
  return 0;
}
