// The JSON the PowerShell query prints about the live WSUS server's failed updates.
#include "fuzz/fuzz_support.h"
#include "wsus/live_server.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wsa::fuzz::check(wsa::wsus::parse_failed_updates(text, "the server query"));
  return 0;
}
