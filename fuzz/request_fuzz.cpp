// A content request carried back from the offline side, read as `export --request` reads it.
#include "fuzz/fuzz_support.h"
#include "manifest/receipt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = wsa::manifest::parse_request(text, "request.json");
  wsa::fuzz::check(parsed);
  if (parsed) {
    auto again = wsa::manifest::parse_request(wsa::manifest::serialize_request(*parsed), "again");
    if (!again || again->files.size() != parsed->files.size()) std::abort();
  }
  auto file = wsa::fuzz::scratch_file("request.json", text);
  wsa::fuzz::check(wsa::manifest::read_requested_files(file, nullptr));
  return 0;
}
