// A receipt carried back from the offline side (unsigned and checked against an empty trust store).
#include "fuzz/fuzz_support.h"
#include "manifest/receipt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = wsa::manifest::parse_receipt(text, "receipt.json", nullptr);
  wsa::fuzz::check(parsed);
  // The writer must produce what the reader accepts (issue 12 item 5: files the tool writes are
  // readable by the tool that reads them).
  if (parsed &&
      !wsa::manifest::parse_receipt(wsa::manifest::serialize_receipt(*parsed, {}), "again", nullptr)) {
    std::abort();
  }
  return 0;
}
