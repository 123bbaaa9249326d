#pragma once
// Builds a realistic WsusContent tree and the catalog that describes it, reproducibly from a seed:
// `<content>/<XX>/<SHA1>.<ext>` for every catalog file, heavy-tailed sizes, shared files, real-looking
// titles, KB numbers and classifications. Faults (corrupt, missing, extra files) are planted after the
// catalog is computed, so the catalog always describes the healthy tree.

#include <boost/filesystem/path.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

struct GenerateOptions {
  fs::path catalog;  // where the catalog JSON is written
  fs::path content;  // the WsusContent folder to fill (created when absent)
  std::uint64_t seed = 1;
  std::size_t updates = 20;
  std::optional<std::size_t> files;     // distinct content files; default 3/2 x updates
  std::uint64_t max_size = 8ULL << 20;  // no file is larger
  std::size_t corrupt = 0;              // catalog files whose bytes no longer match their name
  std::size_t missing = 0;              // catalog files not written
  std::size_t extra = 0;                // files on disk that no catalog entry names
  unsigned jobs = 1;                    // parallel writers; the output does not depend on it
};

struct GenerateSummary {
  std::size_t updates = 0;
  std::size_t files = 0;               // distinct catalog files
  std::uint64_t bytes = 0;             // their total size
  std::vector<std::string> corrupted;  // content paths "XX/<SHA1>.ext", sorted
  std::vector<std::string> missing;
  std::vector<std::string> extra;
};

// Generates the tree and writes the catalog. Same options (whatever `jobs`) -> byte-identical output.
Result<GenerateSummary> generate_content(const GenerateOptions& options);

// The summary as JSON (printed on stdout so tests can assert on the planted faults).
std::string summary_to_json(const GenerateSummary& summary, const GenerateOptions& options);

}  // namespace wsa::sim
