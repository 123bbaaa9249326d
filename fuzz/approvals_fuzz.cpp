// approvals.json as it arrives on the media: strict JSON, groups as a tree, bounds on every list.
#include "fuzz/fuzz_support.h"
#include "manifest/approvals_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = wsa::manifest::parse_approvals(text, "approvals.json");
  wsa::fuzz::check(parsed);
  // What was accepted must write back to bytes that read back the same.
  if (parsed) {
    auto bytes = wsa::manifest::serialize_approvals(*parsed);
    if (!bytes) std::abort();
    auto again = wsa::manifest::parse_approvals(*bytes, "again");
    if (!again) std::abort();
    auto bytes_again = wsa::manifest::serialize_approvals(*again);
    if (!bytes_again || *bytes_again != *bytes) std::abort();
  }
  return 0;
}
