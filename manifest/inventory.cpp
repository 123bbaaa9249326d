#include "manifest/inventory.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/strict_json.h"
#include "common/text.h"
#include "wsus/content_name.h"

namespace wsa::manifest {

namespace {

constexpr std::string_view kHeaderPrefix = "# wsus-airgap inventory v";
constexpr std::size_t kReadBlock = 64 * 1024;
constexpr std::size_t kFieldCount = 5;
constexpr const char* kReadHint = "the inventory is damaged or was altered; do not import this package";

bool is_upper_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

// The checks the writer and the reader share; returns why the entry is refused, or nullopt.
std::optional<std::string> refuse_entry(const InventoryEntry& entry) {
  auto name = wsus::parse_content_path(entry.path);
  if (!name) return "path \"" + printable(entry.path) + "\" is not a WsusContent path XX/<SHA1>.ext";
  // One spelling per file keeps byte-wise order and duplicate detection meaningful.
  if (name->relative_path() != entry.path) {
    return "path \"" + entry.path + "\" is not in canonical form \"" + name->relative_path() + "\"";
  }
  if (entry.size > kMaxFileBytes) {
    return "size " + std::to_string(entry.size) + " of \"" + entry.path + "\" exceeds the 2^50-byte limit";
  }
  if (!is_lower_hex(entry.sha256_hex, 64)) {
    return "SHA-256 \"" + printable(entry.sha256_hex) + "\" of \"" + entry.path +
           "\" is not 64 lower-case hex characters";
  }
  if (!is_upper_hex(entry.sha1_hex, 40)) {
    return "SHA-1 \"" + printable(entry.sha1_hex) + "\" of \"" + entry.path +
           "\" is not 40 upper-case hex characters";
  }
  if (entry.sha1_hex != name->sha1_hex) {
    return "SHA-1 " + entry.sha1_hex + " does not match the path \"" + entry.path + "\"";
  }
  return std::nullopt;
}

// Ascending order is what lets the importer merge the inventory with a sorted disk scan in one pass.
std::optional<std::string> refuse_order(const std::string& path, const std::string& last_path) {
  if (last_path.empty() || path > last_path) return std::nullopt;
  if (path == last_path) return "path \"" + path + "\" appears twice";
  return "path \"" + path + "\" is out of order (it comes after \"" + last_path + "\")";
}

// Counts one entry into a summary; false when the byte totals would overflow.
bool count(InventorySummary& summary, const InventoryEntry& entry) {
  if (entry.size > UINT64_MAX - summary.total_bytes) return false;
  ++summary.file_count;
  summary.total_bytes += entry.size;
  if (entry.carried) {
    ++summary.carried_count;
    summary.carried_bytes += entry.size;
  }
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  // Digits only and no leading zeros: the writer's one spelling, so no "+1", " 1", "01" or "1e3".
  if (text.empty() || text.size() > 16 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Writer

Result<InventoryWriter> InventoryWriter::create(const fs::path& file) {
  std::string name = file.filename().string();
  if (!is_package_file_name(name)) {
    return make_error(ExitCode::kOperational, file.string(), "is not a plain file name a manifest can pin");
  }
  auto out = AtomicFile::create(file);
  if (!out) return std::unexpected(out.error());
  InventoryWriter writer;
  writer.file_.emplace(std::move(*out));
  writer.summary_.file.name = std::move(name);
  std::string header = std::string(kInventoryHeader) + "\n";
  if (auto written = writer.file_->write(header); !written) return std::unexpected(written.error());
  writer.hasher_.update(header.data(), header.size());
  writer.summary_.file.size = header.size();
  return writer;
}

Result<void> InventoryWriter::add(const InventoryEntry& entry) {
  if (!file_) return make_error(ExitCode::kOperational, summary_.file.name, "inventory already finished");
  const std::string where = file_->target().string();
  if (auto why = refuse_entry(entry)) return make_error(ExitCode::kOperational, where, *why);
  if (auto why = refuse_order(entry.path, last_path_)) return make_error(ExitCode::kOperational, where, *why);
  if (!count(summary_, entry)) return make_error(ExitCode::kOperational, where, "total size overflows");
  std::string line = entry.path + '\t' + std::to_string(entry.size) + '\t' + entry.sha256_hex + '\t' +
                     entry.sha1_hex + '\t' + (entry.carried ? '1' : '0') + '\n';
  if (auto written = file_->write(line); !written) return written;
  hasher_.update(line.data(), line.size());
  summary_.file.size += line.size();
  last_path_ = entry.path;
  return {};
}

Result<InventorySummary> InventoryWriter::finish() {
  if (!file_) return make_error(ExitCode::kOperational, summary_.file.name, "inventory already finished");
  if (auto committed = file_->commit(); !committed) return std::unexpected(committed.error());
  file_.reset();
  summary_.file.sha256_hex = hasher_.finish_hex();
  return summary_;
}

// ---------------------------------------------------------------------------------------------------
// Reader

struct InventoryReader::State {
  struct Close {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  enum class LineStatus { kLine, kEnd, kTooLong, kNoNewline, kReadError };

  std::unique_ptr<std::FILE, Close> file;
  fs::path path;
  std::vector<char> buffer = std::vector<char>(kReadBlock);
  std::size_t position = 0;
  std::size_t filled = 0;
  bool at_eof = false;
  std::uint64_t line_number = 0;
  std::string line;
  std::string last_path;
  Sha256Hasher hasher;
  InventorySummary summary;
  bool finished = false;
  std::optional<Error> failure;

  // Reads one '\n'-terminated line into `line` (without the newline), never holding more than
  // kMaxInventoryLineBytes + one block however long the line is.
  LineStatus read_line() {
    line.clear();
    while (true) {
      if (position == filled) {
        if (at_eof) return line.empty() ? LineStatus::kEnd : LineStatus::kNoNewline;
        filled = std::fread(buffer.data(), 1, buffer.size(), file.get());
        position = 0;
        if (filled == 0) {
          if (std::ferror(file.get()) != 0) return LineStatus::kReadError;
          at_eof = true;
          continue;
        }
        // Every byte is hashed as it is read, so the summary pins exactly what was parsed.
        hasher.update(buffer.data(), filled);
        summary.file.size += filled;
      }
      const char* start = buffer.data() + position;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', filled - position));
      std::size_t take = newline != nullptr ? static_cast<std::size_t>(newline - start) : filled - position;
      line.append(start, take);
      position += take;
      if (line.size() > kMaxInventoryLineBytes) return LineStatus::kTooLong;
      if (newline != nullptr) {
        ++position;
        return LineStatus::kLine;
      }
    }
  }

  std::unexpected<Error> refuse(const std::string& why) {
    failure = Error{ExitCode::kIntegrity, path.string(), "line " + std::to_string(line_number) + ": " + why,
                    kReadHint};
    return std::unexpected(*failure);
  }

  // Reads the next line, turning every way it can be malformed into an error.
  Result<bool> next_line() {
    ++line_number;
    switch (read_line()) {
      case LineStatus::kLine:
        break;
      case LineStatus::kEnd:
        return false;
      case LineStatus::kTooLong:
        return refuse("longer than " + std::to_string(kMaxInventoryLineBytes) + " bytes");
      case LineStatus::kNoNewline:
        return refuse("the last line has no newline; the file is truncated");
      case LineStatus::kReadError:
        failure = Error{ExitCode::kOperational, path.string(), "read error", "check the media"};
        return std::unexpected(*failure);
    }
    if (!line.empty() && line.back() == '\r') {
      return refuse("ends with a carriage return: the file was converted to Windows line endings");
    }
    return true;
  }

  Result<void> read_header() {
    auto got = next_line();
    if (!got) return std::unexpected(got.error());
    if (!*got) {
      return refuse("the file is empty; expected the header \"" + std::string(kInventoryHeader) + "\"");
    }
    if (line == kInventoryHeader) return {};
    if (line.starts_with(kHeaderPrefix)) {
      std::string_view number = std::string_view(line).substr(kHeaderPrefix.size());
      if (auto version = parse_size(number); version && number.size() <= 6) {
        if (*version > static_cast<std::uint64_t>(kInventoryFormatVersion)) {
          return refuse("was written by a newer wsus-airgap (inventory format " + std::string(number) +
                        "); this one reads format " + std::to_string(kInventoryFormatVersion) +
                        ": upgrade wsus-airgap on this server");
        }
        return refuse("inventory format version " + std::string(number) +
                      " is older than this wsus-airgap reads (" + std::to_string(kInventoryFormatVersion) +
                      ")");
      }
    }
    return refuse("is not a wsus-airgap inventory header (expected \"" + std::string(kInventoryHeader) +
                  "\")");
  }

  Result<InventoryEntry> parse_line() {
    std::string_view rest(line);
    std::vector<std::string_view> fields;
    while (true) {
      auto tab = rest.find('\t');
      fields.push_back(rest.substr(0, tab));
      if (tab == std::string_view::npos || fields.size() > kFieldCount) break;
      rest.remove_prefix(tab + 1);
    }
    if (fields.size() != kFieldCount) {
      return refuse("expected 5 tab-separated fields (path, size, SHA-256, SHA-1, carried), found " +
                    std::string(fields.size() > kFieldCount ? "more" : std::to_string(fields.size())));
    }
    InventoryEntry entry;
    entry.path = std::string(fields[0]);
    auto size = parse_size(fields[1]);
    if (!size) return refuse("size \"" + printable(fields[1]) + "\" is not a decimal byte count");
    entry.size = *size;
    entry.sha256_hex = std::string(fields[2]);
    entry.sha1_hex = std::string(fields[3]);
    if (fields[4] != "0" && fields[4] != "1") {
      return refuse("carried flag \"" + printable(fields[4]) + "\" is not 0 or 1");
    }
    entry.carried = fields[4] == "1";
    if (auto why = refuse_entry(entry)) return refuse(*why);
    if (auto why = refuse_order(entry.path, last_path)) return refuse(*why);
    if (!count(summary, entry)) return refuse("the sizes add up to more than 2^64 bytes");
    last_path = entry.path;
    return entry;
  }
};

Result<InventoryReader> InventoryReader::open(const fs::path& file) {
  std::string why;
  std::FILE* raw = platform::open_for_reading(file, &why);
  if (raw == nullptr) return make_error(ExitCode::kOperational, file.string(), "cannot open: " + why);
  InventoryReader reader;
  reader.state_ = std::make_unique<State>();
  reader.state_->file.reset(raw);
  reader.state_->path = file;
  reader.state_->summary.file.name = file.filename().string();
  if (auto header = reader.state_->read_header(); !header) return std::unexpected(header.error());
  return reader;
}

InventoryReader::InventoryReader(InventoryReader&&) noexcept = default;
InventoryReader& InventoryReader::operator=(InventoryReader&&) noexcept = default;
InventoryReader::~InventoryReader() = default;

Result<std::optional<InventoryEntry>> InventoryReader::next() {
  if (!state_) return make_error(ExitCode::kOperational, "inventory", "reader is not open");
  State& state = *state_;
  if (state.failure) return std::unexpected(*state.failure);
  if (state.finished) return std::nullopt;
  auto got = state.next_line();
  if (!got) return std::unexpected(got.error());
  if (!*got) {
    state.finished = true;
    state.summary.file.sha256_hex = state.hasher.finish_hex();
    state.file.reset();
    return std::nullopt;
  }
  auto entry = state.parse_line();
  if (!entry) return std::unexpected(entry.error());
  return std::optional<InventoryEntry>(std::move(*entry));
}

const InventorySummary& InventoryReader::summary() const {
  static const InventorySummary kEmpty;
  return state_ ? state_->summary : kEmpty;
}

}  // namespace wsa::manifest
