#include "tests/sim/package_parser.h"

#include <archive.h>
#include <archive_entry.h>
#include <expat.h>
#include <zlib.h>
#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "common/platform.h"

namespace wsa::sim {

namespace {

constexpr std::string_view kUpdateNs = "http://schemas.microsoft.com/msus/2002/12/Update|";
constexpr std::size_t kChunk = 1 << 16;
// Bounds what a hostile package can cost even in a test tool: the real reader must do the same.
constexpr std::uint64_t kMaxUncompressedBytes = 16ULL << 30;
constexpr std::size_t kMaxRecordBytes = 64ULL << 20;

struct ParseFailure {
  std::string why;
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_guid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && std::isxdigit(static_cast<unsigned char>(text[i])) == 0) return false;
  }
  return true;
}

std::optional<std::uint32_t> parse_unsigned(const std::string& text, int base) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
  }
  if (value > 0xFFFFFFFFULL) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::string attribute(const XML_Char** attributes, std::string_view name) {
  for (std::size_t i = 0; attributes[i] != nullptr; i += 2) {
    if (name == attributes[i]) return attributes[i + 1];
  }
  return {};
}

struct ParserFree {
  void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};

// One XML document: either the package document (root ExportPackage) or one update's metadata
// (root upd:Update). Collects identities and English titles; anything unknown is ignored, as the
// real reader must.
class ExportXml {
 public:
  enum class Root { kExportPackage, kUpdate };

  explicit ExportXml(Root root) : root_(root), parser_(XML_ParserCreateNS(nullptr, '|')) {
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(parser_.get(), &ExportXml::on_start, &ExportXml::on_end);
    XML_SetCharacterDataHandler(parser_.get(), &ExportXml::on_text);
    // No DTDs: entity expansion is the classic way to make an XML parser explode.
    XML_SetStartDoctypeDeclHandler(parser_.get(), &ExportXml::on_doctype);
  }

  // Feeds bytes; throws ParseFailure naming the line when the XML is malformed or inconsistent.
  void feed(std::string_view bytes, bool last) {
    if (XML_Parse(parser_.get(), bytes.data(), static_cast<int>(bytes.size()), last ? XML_TRUE : XML_FALSE) !=
        XML_STATUS_OK) {
      const auto line = XML_GetCurrentLineNumber(parser_.get());
      std::string why = failure_.empty() ? XML_ErrorString(XML_GetErrorCode(parser_.get())) : failure_;
      throw ParseFailure{"malformed XML at line " + std::to_string(line) + ": " + why};
    }
  }

  const std::vector<PackagedUpdate>& updates() const { return updates_; }
  const std::string& server_id() const { return server_id_; }
  std::uint64_t file_count() const { return file_count_; }
  // For a single update's XML: its identity and title (meaningful after the last feed).
  const PackagedUpdate& embedded() const { return embedded_; }

 private:
  static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char** attributes) {
    static_cast<ExportXml*>(self)->start(name, attributes);
  }
  static void XMLCALL on_end(void* self, const XML_Char* /*name*/) { static_cast<ExportXml*>(self)->end(); }
  static void XMLCALL on_text(void* self, const XML_Char* text, int length) {
    auto* me = static_cast<ExportXml*>(self);
    if (me->capturing_) me->text_.append(text, static_cast<std::size_t>(length));
  }
  static void XMLCALL on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<ExportXml*>(self)->stop("a DOCTYPE declaration (DTDs are refused)");
  }

  void stop(std::string why) {
    if (failure_.empty()) failure_ = std::move(why);
    XML_StopParser(parser_.get(), XML_FALSE);
  }

  bool parent_is(std::string_view name, std::size_t up = 1) const {
    return stack_.size() >= up && stack_[stack_.size() - up] == name;
  }

  void start(std::string_view name, const XML_Char** attributes) {
    // Expat may still deliver a callback or two after XML_StopParser.
    if (!failure_.empty()) return;
    if (stack_.empty()) {
      const std::string_view expected =
          root_ == Root::kExportPackage ? std::string_view("ExportPackage") : std::string_view("upd:Update");
      const bool ok = root_ == Root::kExportPackage
                          ? name == "ExportPackage"
                          : name.starts_with(kUpdateNs) && name.substr(kUpdateNs.size()) == "Update";
      if (!ok) return stop("the root element is not " + std::string(expected));
      if (root_ == Root::kExportPackage) server_id_ = lower(attribute(attributes, "ServerID"));
    } else if (root_ == Root::kExportPackage && name == "File" && parent_is("Files") && stack_.size() == 2) {
      ++file_count_;
    } else if (root_ == Root::kExportPackage && name == "Update" && parent_is("Updates") &&
               stack_.size() == 2) {
      start_update_entry(attributes);
    } else if (name.starts_with(kUpdateNs)) {
      start_update_xml(name.substr(kUpdateNs.size()), attributes);
    }
    if (!failure_.empty()) return;
    stack_.emplace_back(name);
  }

  void start_update_entry(const XML_Char** attributes) {
    PackagedUpdate update;
    update.update_id = lower(attribute(attributes, "UpdateId"));
    if (!is_guid(update.update_id)) return stop("an <Update> has no valid UpdateId");
    auto revision = parse_unsigned(attribute(attributes, "RevisionNumber"), 10);
    if (!revision) return stop("update " + update.update_id + " has no valid RevisionNumber");
    update.revision = *revision;
    updates_.push_back(std::move(update));
    in_entry_ = true;
  }

  void start_update_xml(std::string_view local, const XML_Char** attributes) {
    if (local == "Update") {
      embedded_ = {};
      have_identity_ = false;
    } else if (local == "UpdateIdentity") {
      embedded_.update_id = lower(attribute(attributes, "UpdateID"));
      auto revision = parse_unsigned(attribute(attributes, "RevisionNumber"), 10);
      if (!is_guid(embedded_.update_id) || !revision) return stop("an upd:UpdateIdentity is incomplete");
      embedded_.revision = *revision;
      have_identity_ = true;
    } else if (local == "LocalizedProperties") {
      language_.clear();
      title_.clear();
    } else if (local == "Language" || local == "Title") {
      capturing_ = true;
      text_.clear();
    }
  }

  void end() {
    if (!failure_.empty() || stack_.empty()) return;
    const std::string name = stack_.back();
    stack_.pop_back();
    if (!name.starts_with(kUpdateNs)) {
      if (name == "Update" && stack_.size() == 2) in_entry_ = false;
      return;
    }
    const std::string_view local = std::string_view(name).substr(kUpdateNs.size());
    if (local == "Language") {
      language_ = text_;
      capturing_ = false;
    } else if (local == "Title") {
      title_ = text_;
      capturing_ = false;
    } else if (local == "LocalizedProperties") {
      // English wins; another language's title is kept only until an English one shows up.
      if (language_ == "en" || embedded_.title.empty()) embedded_.title = title_;
    } else if (local == "Update" && in_entry_) {
      auto& entry = updates_.back();
      if (!have_identity_) return stop("the upd:Update of " + entry.update_id + " has no upd:UpdateIdentity");
      if (embedded_.update_id != entry.update_id || embedded_.revision != entry.revision) {
        return stop("the upd:Update inside <Update UpdateId=\"" + entry.update_id + "\"> describes " +
                    embedded_.update_id + " revision " + std::to_string(embedded_.revision));
      }
      entry.title = embedded_.title;
    } else if (local == "Update" && !have_identity_) {
      return stop("the upd:Update has no upd:UpdateIdentity");
    }
  }

  Root root_;
  std::unique_ptr<XML_ParserStruct, ParserFree> parser_;
  std::vector<std::string> stack_;
  std::string failure_;
  std::string server_id_;
  std::uint64_t file_count_ = 0;
  std::vector<PackagedUpdate> updates_;
  bool in_entry_ = false;
  PackagedUpdate embedded_;
  bool have_identity_ = false;
  bool capturing_ = false;
  std::string text_;
  std::string language_;
  std::string title_;
};

// metadata.txt: records "<guid>,<rev hex>,<length hex>,<xml>" each ended by CRLF (LF accepted). The
// length, not the line break, delimits the XML, so XML holding line breaks still parses.
class MetadataText {
 public:
  void feed(std::string_view bytes) {
    buffer_.append(bytes);
    while (take_record()) {
    }
    if (buffer_.size() > kMaxRecordBytes + 128)
      throw ParseFailure{"metadata.txt has a record over the size limit"};
  }

  void finish() {
    if (!buffer_.empty()) {
      throw ParseFailure{"metadata.txt ends inside record " + std::to_string(records_.size() + 1) +
                         " (truncated)"};
    }
  }

  const std::vector<PackagedUpdate>& records() const { return records_; }

 private:
  bool take_record() {
    std::size_t commas[3];
    std::size_t from = 0;
    for (auto& comma : commas) {
      comma = buffer_.find(',', from);
      if (comma == std::string::npos || comma > 80) {
        if (buffer_.size() > 80) throw bad_record("its header is not \"<guid>,<revision>,<length>,\"");
        return false;
      }
      from = comma + 1;
    }
    const std::string id = lower(buffer_.substr(0, commas[0]));
    const auto revision = parse_unsigned(buffer_.substr(commas[0] + 1, commas[1] - commas[0] - 1), 16);
    const auto length = parse_unsigned(buffer_.substr(commas[1] + 1, commas[2] - commas[1] - 1), 16);
    if (!is_guid(id) || !revision || !length)
      throw bad_record("its header is not \"<guid>,<revision>,<length>,\"");
    if (*length > kMaxRecordBytes) throw bad_record("its XML is larger than the limit");
    const std::size_t xml_start = commas[2] + 1;
    const std::size_t xml_end = xml_start + *length;
    if (buffer_.size() < xml_end + 2) return false;
    std::size_t next = xml_end;
    if (buffer_.compare(xml_end, 2, "\r\n") == 0)
      next += 2;
    else if (buffer_[xml_end] == '\n')
      next += 1;
    else
      throw bad_record("its XML is not " + std::to_string(*length) + " bytes long as its header says");

    ExportXml xml(ExportXml::Root::kUpdate);
    try {
      xml.feed(std::string_view(buffer_).substr(xml_start, *length), true);
    } catch (const ParseFailure& failure) {
      throw bad_record(failure.why);
    }
    if (xml.embedded().update_id != id || xml.embedded().revision != *revision) {
      throw bad_record("its XML describes " + xml.embedded().update_id + " revision " +
                       std::to_string(xml.embedded().revision));
    }
    records_.push_back(PackagedUpdate{id, *revision, xml.embedded().title});
    buffer_.erase(0, next);
    return true;
  }

  ParseFailure bad_record(const std::string& why) const {
    return ParseFailure{"metadata.txt record " + std::to_string(records_.size() + 1) +
                        " is malformed: " + why};
  }

  std::string buffer_;
  std::vector<PackagedUpdate> records_;
};

struct ArchiveFree {
  void operator()(archive* handle) const { archive_read_free(handle); }
};

ParsedPackage parse_cab(const fs::path& package) {
  std::unique_ptr<archive, ArchiveFree> cab(archive_read_new());
  archive_read_support_format_cab(cab.get());
  if (archive_read_open_filename(cab.get(), package.string().c_str(), kChunk) != ARCHIVE_OK) {
    throw ParseFailure{std::string("not a readable cabinet: ") + archive_error_string(cab.get())};
  }
  ExportXml document(ExportXml::Root::kExportPackage);
  MetadataText metadata;
  bool have_document = false;
  bool have_metadata = false;
  std::uint64_t total = 0;
  archive_entry* entry = nullptr;
  std::array<char, kChunk> buffer{};
  for (;;) {
    const int rc = archive_read_next_header(cab.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK)
      throw ParseFailure{std::string("damaged cabinet: ") + archive_error_string(cab.get())};
    const std::string name = archive_entry_pathname(entry);
    const bool is_document = name == "package.xml";
    const bool is_metadata = name == "metadata.txt";
    for (;;) {
      const la_ssize_t got = archive_read_data(cab.get(), buffer.data(), buffer.size());
      if (got < 0) {
        throw ParseFailure{"damaged cabinet: cannot read " + name + ": " + archive_error_string(cab.get())};
      }
      if (got == 0) break;
      total += static_cast<std::uint64_t>(got);
      if (total > kMaxUncompressedBytes) throw ParseFailure{"the cabinet expands beyond the size limit"};
      const std::string_view bytes(buffer.data(), static_cast<std::size_t>(got));
      if (is_document) document.feed(bytes, false);
      if (is_metadata) metadata.feed(bytes);
    }
    if (is_document) {
      document.feed({}, true);
      have_document = true;
    }
    if (is_metadata) {
      metadata.finish();
      have_metadata = true;
    }
  }
  if (!have_document) throw ParseFailure{"the cabinet holds no package.xml"};
  if (!have_metadata) throw ParseFailure{"the cabinet holds no metadata.txt"};

  // package.xml and metadata.txt must describe the same updates: one without the other is unusable.
  std::map<std::string, std::uint32_t> listed;
  for (const auto& update : document.updates()) listed[update.update_id] = update.revision;
  std::set<std::string> recorded;
  for (const auto& record : metadata.records()) {
    auto it = listed.find(record.update_id);
    if (it == listed.end() || it->second != record.revision) {
      throw ParseFailure{"metadata.txt carries update " + record.update_id + " revision " +
                         std::to_string(record.revision) + " that package.xml does not list"};
    }
    recorded.insert(record.update_id);
  }
  for (const auto& [id, revision] : listed) {
    if (recorded.count(id) == 0)
      throw ParseFailure{"package.xml lists update " + id + " that metadata.txt lacks"};
  }
  return ParsedPackage{"cab", document.server_id(), metadata.records(), document.file_count()};
}

struct InflateEnd {
  void operator()(z_stream* stream) const {
    inflateEnd(stream);
    delete stream;
  }
};

struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

ParsedPackage parse_gzip(const fs::path& package) {
  std::string why;
  std::unique_ptr<std::FILE, FileClose> file(platform::open_for_reading(package, &why));
  if (!file) throw ParseFailure{"cannot open: " + why};
  std::unique_ptr<z_stream, InflateEnd> z(new z_stream{});
  if (inflateInit2(z.get(), MAX_WBITS + 16) != Z_OK) {
    z.reset();
    throw ParseFailure{"cannot initialise gzip decompression"};
  }
  ExportXml document(ExportXml::Root::kExportPackage);
  std::array<unsigned char, kChunk> in{};
  std::array<char, kChunk> out{};
  std::uint64_t total = 0;
  bool stream_ended = false;
  for (;;) {
    const std::size_t got = std::fread(in.data(), 1, in.size(), file.get());
    if (got == 0) break;
    z->next_in = in.data();
    z->avail_in = static_cast<uInt>(got);
    while (z->avail_in > 0) {
      if (stream_ended) {
        // gzip allows several members back to back; anything else after the end is damage.
        if (z->next_in[0] != 0x1f) throw ParseFailure{"corrupt: bytes follow the end of the gzip stream"};
        inflateReset(z.get());
        stream_ended = false;
      }
      z->next_out = reinterpret_cast<Bytef*>(out.data());
      z->avail_out = static_cast<uInt>(out.size());
      const int rc = inflate(z.get(), Z_NO_FLUSH);
      if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
        throw ParseFailure{std::string("corrupt gzip data: ") +
                           (z->msg != nullptr ? z->msg : "inflate failed")};
      }
      const std::size_t produced = out.size() - z->avail_out;
      total += produced;
      if (total > kMaxUncompressedBytes) throw ParseFailure{"the package expands beyond the size limit"};
      document.feed(std::string_view(out.data(), produced), false);
      if (rc == Z_STREAM_END) stream_ended = true;
      if (rc == Z_BUF_ERROR && produced == 0) break;
    }
  }
  if (std::ferror(file.get())) throw ParseFailure{"read error"};
  if (!stream_ended) {
    throw ParseFailure{"truncated: the gzip stream ends before its trailer (package cut short)"};
  }
  document.feed({}, true);
  return ParsedPackage{"xml.gz", document.server_id(), document.updates(), document.file_count()};
}

}  // namespace

Result<ParsedPackage> parse_export_package(const fs::path& package) {
  boost::system::error_code ec;
  const auto size = fs::file_size(package, ec);
  if (ec)
    return make_error(ExitCode::kWsusutil, package.string(), "cannot read the package: " + ec.message());
  if (size == 0) {
    return make_error(ExitCode::kWsusutil, package.string(),
                      "the package is empty (0 bytes): the export did not complete (KB2819484)");
  }
  std::string why;
  std::unique_ptr<std::FILE, FileClose> file(platform::open_for_reading(package, &why));
  if (!file) return make_error(ExitCode::kWsusutil, package.string(), "cannot open the package: " + why);
  unsigned char magic[4] = {};
  const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
  file.reset();
  try {
    if (got == 4 && std::memcmp(magic, "MSCF", 4) == 0) return parse_cab(package);
    if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return parse_gzip(package);
  } catch (const ParseFailure& failure) {
    return make_error(ExitCode::kWsusutil, package.string(), failure.why);
  }
  return make_error(
      ExitCode::kWsusutil, package.string(),
      "not an export package: it starts with neither the CAB (MSCF) nor the gzip (1f 8b) signature");
}

}  // namespace wsa::sim
