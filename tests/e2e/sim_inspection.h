#pragma once
// Independent eyes on what wsusutil-sim produced: reads packages with libarchive and zlib (not with the
// simulator's own code), walks and hashes content trees, and sets environment variables for one test.

#include <boost/filesystem/path.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/e2e.h"
#include "tests/support/test_dir.h"

namespace wsa::test::sim {

namespace fs = boost::filesystem;
using Json = nlohmann::json;

// Sets (or, with nullopt, unsets) an environment variable for the scope, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value);
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv();

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

// Runs the built simulator in `dir` with `args`.
RunResult run_sim(const std::vector<std::string>& args, const fs::path& dir);

// Runs `generate --catalog <dir>/<catalog> --content <dir>/<content> <args>`, requires exit 0 and
// returns the parsed summary it printed.
Json generate(const fs::path& dir, const std::vector<std::string>& args,
              const std::string& catalog = "catalog.json", const std::string& content = "WsusContent");

Json read_json(const fs::path& path);

// Every regular file under `root`, as "XX/NAME" relative paths with '/' separators.
std::set<std::string> files_under(const fs::path& root);

// The catalog's content paths "XX/<SHA1>.<ext>" (each distinct file once) and their sizes.
std::map<std::string, std::uint64_t> catalog_content(const Json& catalog);

// Every entry of a cabinet as libarchive reads it: name -> bytes. Throws std::runtime_error on damage.
std::map<std::string, std::string> cab_entries(const fs::path& cab);

// The whole decompressed gzip stream, or nullopt when zlib reports damage or the stream is cut short.
std::optional<std::string> gunzip(const fs::path& path);

// Writes `text` gzip-compressed (for hand-made packages).
void write_gzip(const fs::path& path, std::string_view text);

// The values of every attribute occurrence `<prefix>"value"` in `xml`, e.g. prefix `<File Digest=`.
std::vector<std::string> attribute_values(std::string_view xml, std::string_view prefix);

// How many times `needle` occurs in `text`.
std::size_t count_of(std::string_view text, std::string_view needle);

// Base64 digest -> upper-case hex.
std::string base64_to_hex_upper(const std::string& base64);

// Lines of a text (CRLF or LF), without their terminators; no empty last line.
std::vector<std::string> lines_of(const std::string& text);

// A program on PATH, if installed.
std::optional<fs::path> find_program(const std::string& name);

}  // namespace wsa::test::sim
