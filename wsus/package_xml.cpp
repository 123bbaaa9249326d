// Turning the elements of an export package into updates and files.
#include "wsus/package_xml.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/encoding.h"
#include "common/text.h"

namespace wsa::wsus::detail {

namespace {

std::unexpected<Error> refuse(std::string why, const char* hint = kDamagedPackageHint) {
  return make_error(ExitCode::kWsusutil, {}, std::move(why), hint);
}

std::string_view trim(std::string_view text) {
  return trim_space(text);
}

// Hostile values can be megabytes long: messages quote only their start.
std::string quoted(std::string_view value) {
  return "\"" + printable(value, 48) + "\"";
}

template <class Number>
std::optional<Number> parse_decimal(std::string_view text) {
  text = trim(text);
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_english(std::string_view language) {
  language = trim(language);
  return iequals_ascii(language, "en") ||
         (language.size() > 3 && iequals_ascii(language.substr(0, 3), "en-"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// PackageXmlReader

struct PackageXmlReader::EmbeddedXml {
  EmbeddedXml(const PackageVisitor& visitor, const ReaderLimits& limits, const std::string& name)
      : reader(
            visitor, limits,
            [this](PackageUpdate& update) -> Result<void> {
              if (++updates > 1) return refuse(name_ + " holds more than one Update", kHostilePackageHint);
              record = update;
              return {};
            },
            /*reads_metadata_text=*/false),
        parser(reader, limits, name),
        name_(name) {}
  PackageXmlReader reader;
  SecureXmlParser parser;
  std::string name_;
  std::uint64_t updates = 0;
  PackageUpdate record;
};

PackageXmlReader::PackageXmlReader(const PackageVisitor& visitor, const ReaderLimits& limits,
                                   RecordSink on_record, bool reads_metadata_text)
    : visitor_(visitor),
      limits_(limits),
      on_record_(std::move(on_record)),
      reads_metadata_text_(reads_metadata_text) {}

PackageXmlReader::~PackageXmlReader() = default;

PackageXmlReader::Tag PackageXmlReader::classify(std::string_view name) {
  static constexpr std::pair<std::string_view, Tag> kTags[] = {
      {"ExportPackage", Tag::kExportPackage},
      {"Update", Tag::kUpdate},
      {"UpdateIdentity", Tag::kUpdateIdentity},
      {"Properties", Tag::kProperties},
      {"KBArticleID", Tag::kKbArticleId},
      {"LocalizedProperties", Tag::kLocalizedProperties},
      {"Language", Tag::kLanguage},
      {"Title", Tag::kTitle},
      {"File", Tag::kFile},
      {"AdditionalDigest", Tag::kAdditionalDigest},
      {"Classification", Tag::kClassification},
      {"metadata", Tag::kMetadata},
  };
  // The one public trace of a real .xml.gz names its elements in lower case (updates, update,
  // metadata) while package.xml writes Update: match without assuming the case.
  for (const auto& [known, tag] : kTags) {
    if (iequals_ascii(name, known)) return tag;
  }
  return Tag::kOther;
}

std::string PackageXmlReader::record_label() const {
  if (update_depth_ == 0) return {};
  return update_.update_id.empty() ? std::string("update (id not yet read): ")
                                   : "update " + update_.update_id + ": ";
}

Result<void> PackageXmlReader::start_element(std::string_view name, const XmlAttributes& attributes) {
  Tag tag = classify(name);
  Tag parent = open_elements_.empty() ? Tag::kOther : open_elements_.back().tag;
  open_elements_.push_back({tag, false});
  bool in_update = update_depth_ > 0;
  // Only these positions hold the text the reader keeps; the same names elsewhere (a EULA file's
  // Language, a Title in handler data) are ignored.
  bool captures =
      (tag == Tag::kKbArticleId && in_update && parent == Tag::kProperties) ||
      ((tag == Tag::kLanguage || tag == Tag::kTitle) && in_update && parent == Tag::kLocalizedProperties);
  switch (tag) {
    case Tag::kExportPackage:
      if (auto started = start_export_package(attributes); !started) return started;
      break;
    case Tag::kUpdate:
      if (++update_depth_ == 1) {
        update_ = {};
        revision_known_ = false;
        update_files_.clear();
        english_title_.clear();
        first_title_.clear();
      }
      if (auto identity = assign_identity(attributes.find("UpdateId"), attributes.find("RevisionNumber"));
          !identity) {
        return identity;
      }
      break;
    case Tag::kUpdateIdentity:
      // Relationships (prerequisites, bundles, supersedence) also hold UpdateIdentity elements naming
      // other updates: only the one directly under Update is this update's.
      if (in_update && parent == Tag::kUpdate) {
        if (auto identity = assign_identity(attributes.find("UpdateID"), attributes.find("RevisionNumber"));
            !identity) {
          return identity;
        }
      }
      break;
    case Tag::kLocalizedProperties:
      language_.clear();
      localized_title_.clear();
      break;
    case Tag::kFile:
      if (!file_) return start_file(attributes);
      break;
    case Tag::kAdditionalDigest:
      if (file_ && parent == Tag::kFile) {
        auto algorithm = attributes.find("Algorithm");
        captures = algorithm && iequals_ascii(trim(*algorithm), "SHA256");
      }
      break;
    case Tag::kClassification:
      if (in_update && update_.classification.empty()) return start_classification(attributes);
      break;
    case Tag::kMetadata:
      if (reads_metadata_text_ && update_depth_ == 1 && parent == Tag::kUpdate && metadata_depth_ == 0) {
        metadata_depth_ = open_elements_.size();
      }
      break;
    default:
      break;
  }
  if (captures) {
    open_elements_.back().captures_text = true;
    capturing_text_ = true;
    text_.clear();
  }
  return {};
}

Result<void> PackageXmlReader::end_element(std::string_view) {
  // Expat has already matched the end tag to its start, so the open stack is the truth.
  OpenElement open = open_elements_.back();
  if (open.captures_text) {
    capturing_text_ = false;
    if (auto kept = end_captured_text(open.tag); !kept) return kept;
  }
  bool closes_file = file_ && file_->depth == open_elements_.size();
  bool closes_metadata = metadata_depth_ != 0 && metadata_depth_ == open_elements_.size();
  open_elements_.pop_back();
  if (closes_metadata) {
    metadata_depth_ = 0;
    return end_metadata_text();
  }
  switch (open.tag) {
    case Tag::kFile:
      if (closes_file) return end_file();
      break;
    case Tag::kLocalizedProperties:
      if (update_depth_ > 0 && !localized_title_.empty()) {
        if (english_title_.empty() && is_english(language_)) english_title_ = localized_title_;
        if (first_title_.empty()) first_title_ = localized_title_;
      }
      break;
    case Tag::kUpdate:
      return end_update();
    default:
      break;
  }
  return {};
}

Result<void> PackageXmlReader::text(std::string_view chars) {
  if (metadata_depth_ != 0 && metadata_depth_ == open_elements_.size()) return metadata_text(chars);
  if (!capturing_text_) return {};
  if (text_.size() + chars.size() > limits_.max_attribute_bytes) {
    return refuse(record_label() + "a text value is larger than the " +
                      std::to_string(limits_.max_attribute_bytes) + "-byte limit: refused",
                  kHostilePackageHint);
  }
  text_.append(chars);
  return {};
}

Result<void> PackageXmlReader::start_export_package(const XmlAttributes& attributes) {
  if (saw_export_package_) return {};
  saw_export_package_ = true;
  if (auto server = attributes.find("ServerID")) {
    auto id = normalize_update_id(*server);
    if (!id) return refuse("ExportPackage ServerID " + quoted(*server) + " is not a GUID");
    server_id_ = *id;
  }
  if (auto created = attributes.find("CreationTime")) creation_time_ = std::string(trim(*created));
  return {};
}

Result<void> PackageXmlReader::assign_identity(std::optional<std::string_view> id,
                                               std::optional<std::string_view> revision) {
  if (id) {
    auto normalized = normalize_update_id(*id);
    if (!normalized) return refuse(record_label() + "update id " + quoted(*id) + " is not a GUID");
    if (update_.update_id.empty()) {
      update_.update_id = *normalized;
    } else if (update_.update_id != *normalized) {
      return refuse("update " + update_.update_id + " carries the metadata of another update, " +
                        *normalized + ": refused",
                    kHostilePackageHint);
    }
  }
  if (revision) {
    auto number = parse_decimal<std::uint32_t>(*revision);
    if (!number) return refuse(record_label() + "revision number " + quoted(*revision) + " is not a number");
    if (!revision_known_) {
      update_.revision = *number;
      revision_known_ = true;
    } else if (update_.revision != *number) {
      return refuse(record_label() + "revision " + std::to_string(update_.revision) + " in one place and " +
                    std::to_string(*number) + " in another");
    }
  }
  return {};
}

Result<void> PackageXmlReader::start_file(const XmlAttributes& attributes) {
  auto digest = attributes.find("Digest");
  if (!digest) return {};  // without a digest a File names nothing in WsusContent
  std::string where = update_depth_ > 0 ? record_label() : std::string("package-level ");
  if (auto algorithm = attributes.find("DigestAlgorithm");
      algorithm && !iequals_ascii(trim(*algorithm), "SHA1")) {
    return refuse(where + "File Digest uses the algorithm " + quoted(*algorithm) +
                  ", not the SHA1 that names WsusContent files");
  }
  auto raw = from_base64(trim(*digest));
  if (!raw) return refuse(where + "File Digest " + quoted(*digest) + " is not base64");
  if (raw->size() != 20) {
    return refuse(where + "File Digest " + quoted(*digest) + " decodes to " + std::to_string(raw->size()) +
                  " bytes, not a 20-byte SHA-1");
  }
  OpenFile open;
  open.file.sha1_hex = to_hex_upper(*raw);
  if (auto name = attributes.find("FileName"))
    open.file.name = std::string(trim(*name));
  else if (auto short_name = attributes.find("Name"))
    open.file.name = std::string(trim(*short_name));
  if (auto size = attributes.find("Size")) {
    open.file.size = parse_decimal<std::uint64_t>(*size);
    if (!open.file.size) {
      return refuse(where + "File " + open.file.sha1_hex + " has the size " + quoted(*size) +
                    ", not a number");
    }
  }
  open.in_update = update_depth_ > 0;
  open.depth = open_elements_.size();
  file_ = std::move(open);
  return {};
}

Result<void> PackageXmlReader::start_classification(const XmlAttributes& attributes) {
  auto value = attributes.find("Value");
  if (!value) return {};
  auto id = normalize_update_id(*value);
  if (!id) return refuse(record_label() + "Classification " + quoted(*value) + " is not a GUID");
  update_.classification = *id;
  return {};
}

Result<void> PackageXmlReader::end_captured_text(Tag tag) {
  std::string_view value = trim(text_);
  switch (tag) {
    case Tag::kKbArticleId:
      if (auto kb = normalize_kb(value); kb && !kb->empty()) update_.kb_article = std::move(*kb);
      break;
    case Tag::kLanguage:
      language_ = std::string(value);
      break;
    case Tag::kTitle:
      localized_title_ = std::string(value);
      break;
    case Tag::kAdditionalDigest: {
      auto raw = from_base64(value);
      if (!raw || raw->size() != 32) {
        return refuse(record_label() + "File " + file_->file.sha1_hex + " has the SHA256 AdditionalDigest " +
                      quoted(value) + ", not a base64 32-byte SHA-256");
      }
      std::string hex = to_hex_lower(*raw);
      if (file_->file.sha256_hex && *file_->file.sha256_hex != hex) {
        return refuse(record_label() + "File " + file_->file.sha1_hex + " has two different SHA-256 digests",
                      kHostilePackageHint);
      }
      file_->file.sha256_hex = std::move(hex);
      break;
    }
    default:
      break;
  }
  return {};
}

Result<void> PackageXmlReader::end_file() {
  OpenFile open = std::move(*file_);
  file_.reset();
  const PackageFile& file = open.file;
  if (!open.in_update) {
    ++package_files_;
    if (visitor_.on_file) visitor_.on_file(file);
    return {};
  }
  if (update_files_.insert(file.sha1_hex).second) {
    if (update_.file_sha1_hex.size() >= limits_.max_update_files) {
      return refuse(record_label() + "references more than " + std::to_string(limits_.max_update_files) +
                        " files, beyond the reader's limit: refused",
                    kHostilePackageHint);
    }
    update_.file_sha1_hex.push_back(file.sha1_hex);
  }
  // package.xml lists an update's files by digest alone; only the update metadata adds details.
  bool has_details = !file.name.empty() || file.size || file.sha256_hex;
  if (has_details && visitor_.on_file) visitor_.on_file(file);
  return {};
}

Result<void> PackageXmlReader::end_update() {
  if (--update_depth_ > 0) return {};
  if (update_.update_id.empty()) {
    return refuse("an Update element has neither an UpdateId attribute nor an UpdateIdentity");
  }
  update_.title = !english_title_.empty() ? english_title_ : first_title_;
  ++records_;
  return on_record_(update_);
}

// Expat hands over escaped text and CDATA alike as decoded characters, in pieces: each piece goes on
// to the inner parser at once, so the update XML is never held whole. Whitespace before it (the
// indentation around child elements) starts nothing.
Result<void> PackageXmlReader::metadata_text(std::string_view chars) {
  if (!embedded_) {
    if (trim(chars).empty()) return {};
    // From its first markup on: an XML declaration must open the inner document.
    chars.remove_prefix(chars.find_first_not_of(" \t\r\n"));
    embedded_ =
        std::make_unique<EmbeddedXml>(visitor_, limits_, record_label() + "the text of its metadata element");
  }
  return embedded_->parser.feed(chars);
}

Result<void> PackageXmlReader::end_metadata_text() {
  if (!embedded_) return {};
  std::unique_ptr<EmbeddedXml> embedded = std::move(embedded_);
  if (auto done = embedded->parser.finish(); !done) return done;
  if (embedded->updates == 0) {
    return refuse(record_label() + "the text of its metadata element is XML without an Update element");
  }
  ++records_from_text_;
  return merge_embedded(embedded->record);
}

Result<void> PackageXmlReader::merge_embedded(const PackageUpdate& embedded) {
  std::optional<std::string> revision;
  if (embedded.revision != 0) revision = std::to_string(embedded.revision);
  if (auto identity = assign_identity(embedded.update_id, revision); !identity) return identity;
  if (english_title_.empty()) english_title_ = embedded.title;
  if (update_.kb_article.empty()) update_.kb_article = embedded.kb_article;
  if (update_.classification.empty()) update_.classification = embedded.classification;
  for (const auto& sha1 : embedded.file_sha1_hex) {
    if (!update_files_.insert(sha1).second) continue;
    if (update_.file_sha1_hex.size() >= limits_.max_update_files) {
      return refuse(record_label() + "references more than " + std::to_string(limits_.max_update_files) +
                        " files, beyond the reader's limit: refused",
                    kHostilePackageHint);
    }
    update_.file_sha1_hex.push_back(sha1);
  }
  return {};
}

}  // namespace wsa::wsus::detail
