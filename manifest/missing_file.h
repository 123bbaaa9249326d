#pragma once
// The one description of a content file the offline side lacks or holds damaged: what `gaps` finds,
// what `import` reports and puts in its receipt, what a content request asks for, what `export` re-sends.

#include <cstdint>
#include <optional>
#include <string>

namespace wsa::manifest {

// Every member has a default, so an entry names only what it knows: {.path = p, .problem = "missing"}.
struct MissingFile {
  std::string path{};     // canonical "XX/<SHA1>.ext"
  std::string problem{};  // as said to the user and written ("reason" in receipts and requests): "missing",
                          // "wrong size[: 10 bytes, expected 12]", "SHA-1 mismatch", "SHA-256 mismatch", ...
  // The update that needs it, when known (in a gap report: the update it is listed under).
  std::string update_id{};
  std::string title{};
  std::string kb{};
  // Known only to the side that checked the file against the metadata; never written to a receipt.
  std::string name{};  // the original file name in the metadata
  std::optional<std::uint64_t> expected_size{};
  std::optional<std::uint64_t> carried_by_sequence{};  // the transfer package that carried it, per the ledger
};

}  // namespace wsa::manifest
