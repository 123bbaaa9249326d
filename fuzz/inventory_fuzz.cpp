// inventory.tsv read line by line from the media, as import reads it.
#include "fuzz/fuzz_support.h"
#include "manifest/inventory.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto file = wsa::fuzz::scratch_file("inventory.tsv", {reinterpret_cast<const char*>(data), size});
  auto reader = wsa::manifest::InventoryReader::open(file);
  wsa::fuzz::check(reader);
  if (!reader) return 0;
  while (true) {
    auto entry = reader->next();
    wsa::fuzz::check(entry);
    if (!entry || !*entry) break;
  }
  return 0;
}
