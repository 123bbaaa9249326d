#include "tests/e2e/sim_inspection.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <boost/filesystem/directory.hpp>
#include <boost/filesystem/operations.hpp>

#include <array>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "common/encoding.h"
#include "tests/support/catch.h"

namespace wsa::test::sim {

namespace {

void set_variable(const std::string& name, const std::optional<std::string>& value) {
#ifdef _WIN32
  _putenv_s(name.c_str(), value ? value->c_str() : "");
#else
  if (value) {
    ::setenv(name.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name.c_str());
  }
#endif
}

struct ArchiveFree {
  void operator()(archive* handle) const { archive_read_free(handle); }
};

}  // namespace

ScopedEnv::ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) previous_ = old;
  set_variable(name_, value);
}

ScopedEnv::~ScopedEnv() {
  set_variable(name_, previous_);
}

RunResult run_sim(const std::vector<std::string>& args, const fs::path& dir) {
  return run(simulator_binary(), args, dir);
}

Json generate(const fs::path& dir, const std::vector<std::string>& args, const std::string& catalog,
              const std::string& content) {
  std::vector<std::string> full = {"generate", "--catalog", (dir / catalog).string(), "--content",
                                   (dir / content).string()};
  full.insert(full.end(), args.begin(), args.end());
  auto result = run_sim(full, dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return Json::parse(result.out);
}

Json read_json(const fs::path& path) {
  return Json::parse(read_file(path));
}

std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> files;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (fs::is_regular_file(it->status())) files.insert(fs::relative(it->path(), root).generic_string());
  }
  return files;
}

std::map<std::string, std::uint64_t> catalog_content(const Json& catalog) {
  std::map<std::string, std::uint64_t> content;
  for (const auto& update : catalog.at("updates")) {
    for (const auto& file : update.at("files")) {
      const std::string sha1 = file.at("sha1");
      const std::string name = file.at("name");
      content[sha1.substr(38, 2) + "/" + sha1 + name.substr(name.rfind('.'))] =
          file.at("size").get<std::uint64_t>();
    }
  }
  return content;
}

std::map<std::string, std::string> cab_entries(const fs::path& cab) {
  std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
  archive_read_support_format_cab(reader.get());
  if (archive_read_open_filename(reader.get(), cab.string().c_str(), 1 << 16) != ARCHIVE_OK) {
    throw std::runtime_error(archive_error_string(reader.get()));
  }
  std::map<std::string, std::string> entries;
  archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    std::string& bytes = entries[archive_entry_pathname(entry)];
    std::array<char, 1 << 16> buffer{};
    la_ssize_t got = 0;
    while ((got = archive_read_data(reader.get(), buffer.data(), buffer.size())) > 0) {
      bytes.append(buffer.data(), static_cast<std::size_t>(got));
    }
    if (got < 0) throw std::runtime_error(archive_error_string(reader.get()));
  }
  if (rc != ARCHIVE_EOF) throw std::runtime_error(archive_error_string(reader.get()));
  return entries;
}

std::optional<std::string> gunzip(const fs::path& path) {
  const std::string compressed = read_file(path);
  z_stream z{};
  if (inflateInit2(&z, MAX_WBITS + 16) != Z_OK) return std::nullopt;
  std::string out;
  std::array<char, 1 << 16> buffer{};
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void write_gzip(const fs::path& path, std::string_view text) {
  gzFile file = gzopen(path.string().c_str(), "wb");
  REQUIRE(file != nullptr);
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

std::vector<std::string> attribute_values(std::string_view xml, std::string_view prefix) {
  std::vector<std::string> values;
  std::size_t at = 0;
  while ((at = xml.find(prefix, at)) != std::string_view::npos) {
    const std::size_t open = at + prefix.size();
    if (open < xml.size() && xml[open] == '"') {
      const std::size_t close = xml.find('"', open + 1);
      values.emplace_back(xml.substr(open + 1, close - open - 1));
    }
    at = open;
  }
  return values;
}

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

std::string base64_to_hex_upper(const std::string& base64) {
  auto raw = from_base64(base64);
  REQUIRE(raw.has_value());
  return to_hex_upper(*raw);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::optional<fs::path> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest(path);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const fs::path candidate = fs::path(std::string(rest.substr(0, colon))) / name;
    boost::system::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

}  // namespace wsa::test::sim
