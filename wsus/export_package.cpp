#include "wsus/export_package.h"

#include <array>
#include <charconv>

#include "common/encoding.h"
#include "common/text.h"
#include "wsus/package_container.h"
#include "wsus/package_xml.h"

namespace wsa::wsus {

namespace {

using detail::CabEntry;
using detail::kDamagedPackageHint;
using detail::kHostilePackageHint;
using detail::PackageXmlReader;
using detail::SecureXmlParser;

// Whatever layer found the problem, the message names the package first.
Error about(const fs::path& package, Error error) {
  error.what = package.string();
  return error;
}

std::unexpected<Error> refuse(std::string why, const char* hint = kDamagedPackageHint) {
  return make_error(ExitCode::kWsusutil, {}, std::move(why), hint);
}

std::optional<std::uint32_t> parse_hex8(std::string_view text) {
  std::uint32_t value = 0;
  if (text.size() != 8 || !is_hex(text)) return std::nullopt;
  std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return value;
}

// Microsoft's own exporter writes C#'s string.Length (UTF-16 code units) as the XML length; the
// format is also described as a byte count. Both agree on ASCII; either is accepted, nothing else.
std::uint64_t utf16_units(std::string_view utf8) {
  std::uint64_t units = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++units;  // every lead byte starts a character
    if ((c & 0xF8) == 0xF0) ++units;  // four-byte sequences need a surrogate pair
  }
  return units;
}

// Splits metadata.txt into CRLF (or LF) lines in bounded memory and turns each into a record: its
// fields are checked, then its update XML is parsed by a fresh hardened parser.
class MetadataRecords {
 public:
  MetadataRecords(const PackageVisitor& visitor, const ReaderLimits& limits)
      : visitor_(visitor), limits_(limits) {}

  Result<void> feed(std::string_view bytes) {
    while (!bytes.empty()) {
      auto newline = bytes.find('\n');
      if (newline == std::string_view::npos) {
        if (pending_.size() + bytes.size() > max_line()) return too_long();
        pending_.append(bytes);
        return {};
      }
      std::string_view tail = bytes.substr(0, newline);
      bytes.remove_prefix(newline + 1);
      if (pending_.size() + tail.size() > max_line()) return too_long();
      Result<void> done;
      if (pending_.empty()) {
        done = record(tail);  // the common case: the whole line sits in this block, no copy
      } else {
        pending_.append(tail);
        done = record(pending_);
        pending_.clear();
      }
      if (!done) return done;
    }
    return {};
  }

  // A last line without its line break still counts.
  Result<void> finish() {
    if (pending_.empty()) return {};
    auto done = record(pending_);
    pending_.clear();
    return done;
  }

  std::uint64_t records() const { return records_; }

 private:
  // The record's XML plus its 28-byte "guid,rev,len," prefix, braces and CR.
  std::size_t max_line() const { return limits_.max_line_bytes + 64; }

  Result<void> too_long() const {
    return refuse("metadata.txt line " + std::to_string(line_ + 1) + " is longer than " +
                      std::to_string(limits_.max_line_bytes) + " bytes, beyond the reader's limit: refused",
                  kHostilePackageHint);
  }

  std::string at_line() const { return "metadata.txt line " + std::to_string(line_) + ": "; }

  Result<void> record(std::string_view line) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // a UTF-8 byte order mark
    if (line.empty()) return {};
    std::array<std::string_view, 3> fields;
    for (auto& field : fields) {
      auto comma = line.find(',');
      if (comma == std::string_view::npos) {
        return refuse(at_line() + "is not \"<update id>,<revision>,<length>,<update XML>\"");
      }
      field = line.substr(0, comma);
      line.remove_prefix(comma + 1);
    }
    auto id = normalize_update_id(fields[0]);
    if (!id)
      return refuse(at_line() + "the update id \"" + std::string(fields[0].substr(0, 40)) +
                    "\" is not a GUID");
    auto revision = parse_hex8(fields[1]);
    if (!revision) {
      return refuse(at_line() + "the revision \"" + std::string(fields[1].substr(0, 16)) +
                    "\" is not 8 hexadecimal digits");
    }
    auto length = parse_hex8(fields[2]);
    if (!length) {
      return refuse(at_line() + "the XML length \"" + std::string(fields[2].substr(0, 16)) +
                    "\" is not 8 hexadecimal digits");
    }
    std::string_view xml = line;
    if (xml.size() != *length && utf16_units(xml) != *length) {
      return refuse(at_line() + "the length field says " + std::to_string(*length) +
                        " but the update XML of " + *id + " has " + std::to_string(xml.size()) +
                        " bytes: the record was cut or altered",
                    kDamagedPackageHint);
    }
    ++records_;
    return parse_update_xml(*id, *revision, xml);
  }

  Result<void> parse_update_xml(const std::string& id, std::uint32_t revision, std::string_view xml) {
    std::uint64_t updates = 0;
    PackageXmlReader reader(visitor_, limits_, [&](PackageUpdate& update) -> Result<void> {
      if (++updates > 1)
        return refuse(at_line() + "the update XML holds more than one Update", kHostilePackageHint);
      if (update.update_id != id || update.revision != revision) {
        return refuse(at_line() + "the record is for update " + id + " revision " + std::to_string(revision) +
                          " but its XML describes " + update.update_id + " revision " +
                          std::to_string(update.revision),
                      kHostilePackageHint);
      }
      if (visitor_.on_update) visitor_.on_update(update);
      return {};
    });
    SecureXmlParser parser(reader, limits_, at_line() + "update XML");
    if (auto fed = parser.feed(xml); !fed) return fed;
    if (auto done = parser.finish(); !done) return done;
    if (updates == 0) return refuse(at_line() + "the update XML of " + id + " holds no Update element");
    return {};
  }

  const PackageVisitor& visitor_;
  const ReaderLimits& limits_;
  std::string pending_;
  std::uint64_t line_ = 0;
  std::uint64_t records_ = 0;
};

// The ExportPackage document (package.xml, or the whole .xml.gz), parsed as its bytes arrive.
class PackageDocument {
 public:
  PackageDocument(const PackageVisitor& visitor, const ReaderLimits& limits, std::string name)
      : reader_(visitor, limits,
                [&visitor](PackageUpdate& update) -> Result<void> {
                  if (visitor.on_update) visitor.on_update(update);
                  return {};
                }),
        parser_(reader_, limits, name),
        name_(std::move(name)) {}

  Result<void> feed(std::string_view bytes) { return parser_.feed(bytes); }

  Result<void> finish(PackageSummary& summary) {
    if (auto done = parser_.finish(); !done) return done;
    if (!reader_.saw_export_package()) {
      return refuse(name_ + " holds no ExportPackage element: it is not a wsusutil export");
    }
    summary.server_id = reader_.server_id();
    summary.creation_time = reader_.creation_time();
    summary.update_count = reader_.records();
    summary.file_count = reader_.package_files();
    summary.records_from_metadata_text = reader_.records_from_metadata_text();
    return {};
  }

 private:
  PackageXmlReader reader_;
  SecureXmlParser parser_;
  std::string name_;
};

Result<PackageSummary> read_gzip_package(const fs::path& package, const PackageVisitor& visitor,
                                         const ReaderLimits& limits) {
  PackageSummary summary;
  summary.container = PackageContainer::kGzip;
  PackageDocument document(visitor, limits, "package XML");
  auto inflated = detail::inflate_gzip(package, limits.max_uncompressed_bytes,
                                       [&](std::string_view bytes) { return document.feed(bytes); });
  if (!inflated) return std::unexpected(std::move(inflated.error()));
  summary.uncompressed_bytes = *inflated;
  if (auto done = document.finish(summary); !done) return std::unexpected(std::move(done.error()));
  return summary;
}

Result<PackageSummary> read_cab_package(const fs::path& package, const PackageVisitor& visitor,
                                        const ReaderLimits& limits) {
  PackageSummary summary;
  summary.container = PackageContainer::kCab;
  PackageDocument document(visitor, limits, "package.xml");
  MetadataRecords metadata(visitor, limits);
  std::array<CabEntry, 2> entries{
      CabEntry{"package.xml", [&](std::string_view bytes) { return document.feed(bytes); }},
      CabEntry{"metadata.txt", [&](std::string_view bytes) { return metadata.feed(bytes); }},
  };
  auto read = detail::read_cab_entries(package, limits.max_uncompressed_bytes, entries);
  if (!read) return std::unexpected(std::move(read.error()));
  for (const auto& entry : entries) {
    if (!entry.found) return refuse("is an incomplete export: the cabinet holds no " + entry.name);
  }
  summary.uncompressed_bytes = *read;
  if (auto done = document.finish(summary); !done) return std::unexpected(std::move(done.error()));
  if (auto done = metadata.finish(); !done) return std::unexpected(std::move(done.error()));
  summary.metadata_records = metadata.records();
  return summary;
}

}  // namespace

std::optional<std::string> normalize_update_id(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return std::nullopt;
  std::string id;
  id.reserve(36);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position != (c == '-')) return std::nullopt;
    if (!dash_position && !is_hex(std::string_view(&c, 1))) return std::nullopt;
    id.push_back(c);
  }
  return to_lower_ascii(id);
}

Result<PackageSummary> read_export_package(const fs::path& package, const PackageVisitor& visitor,
                                           const ReaderLimits& limits) {
  auto container = detail::identify_package(package);
  if (!container) return std::unexpected(about(package, std::move(container.error())));
  // Counted here, below every form, so no form can be read as "nothing to check" by accident.
  std::uint64_t updates = 0;
  std::uint64_t files = 0;
  PackageVisitor counting{[&](const PackageFile& file) {
                            ++files;
                            if (visitor.on_file) visitor.on_file(file);
                          },
                          [&](const PackageUpdate& update) {
                            ++updates;
                            files += update.file_sha1_hex.size();
                            if (visitor.on_update) visitor.on_update(update);
                          }};
  auto summary = *container == PackageContainer::kCab ? read_cab_package(package, counting, limits)
                                                      : read_gzip_package(package, counting, limits);
  if (!summary) return std::unexpected(about(package, std::move(summary.error())));
  summary->updates_read = updates;
  summary->files_read = files;
  if (updates == 0 || files == 0) {
    return make_error(ExitCode::kUnreadablePackage, package.string(),
                      "read " + std::to_string(updates) + " updates and " + std::to_string(files) +
                          " content files from it: an empty export, or a form of package this wsus-airgap "
                          "does not understand",
                      "do not take this for \"no gaps\": export the metadata again on the export server; if "
                      "the package is a real wsusutil export, keep it and see docs/export-package-forms.md");
  }
  return summary;
}

Result<void> check_export_package(const fs::path& package) {
  auto container = detail::identify_package(package);
  if (!container) return std::unexpected(about(package, std::move(container.error())));
  ReaderLimits limits;
  if (*container == PackageContainer::kGzip) {
    auto inflated = detail::inflate_gzip(package, limits.max_uncompressed_bytes, nullptr);
    if (!inflated) return std::unexpected(about(package, std::move(inflated.error())));
    return {};
  }
  std::array<CabEntry, 2> entries{CabEntry{"package.xml", nullptr}, CabEntry{"metadata.txt", nullptr}};
  auto listed = detail::read_cab_entries(package, limits.max_uncompressed_bytes, entries);
  if (!listed) return std::unexpected(about(package, std::move(listed.error())));
  for (const auto& entry : entries) {
    if (!entry.found) {
      return std::unexpected(
          about(package, Error{ExitCode::kWsusutil,
                               {},
                               "is an incomplete export: the cabinet holds no " + entry.name,
                               kDamagedPackageHint}));
    }
  }
  return {};
}

}  // namespace wsa::wsus
