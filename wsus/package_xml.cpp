#include "wsus/package_xml.h"

#include <expat.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include "common/encoding.h"
#include "common/text.h"

namespace wsa::wsus::detail {

namespace {

// Expat reports every complete token in what it is given; feeding at most this much at a time keeps
// the token guard below precise and bounds how much expat re-scans an incomplete token.
constexpr std::size_t kFeedPiece = 64 * 1024;

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
  return iequals_ascii(language, "en") || (language.size() > 3 && iequals_ascii(language.substr(0, 3), "en-"));
}

struct ParserFree {
  void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};

}  // namespace

std::string_view local_name(std::string_view qualified_name) {
  auto colon = qualified_name.rfind(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

std::optional<std::string_view> XmlAttributes::find(std::string_view local) const {
  for (const char* const* pair = pairs_; pair != nullptr && pair[0] != nullptr; pair += 2) {
    if (local_name(pair[0]) == local) return std::string_view(pair[1]);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------
// SecureXmlParser

struct SecureXmlParser::State {
  State(XmlElementHandler& h, const ReaderLimits& l, std::string d)
      : handler(h), limits(l), document(std::move(d)) {}

  XmlElementHandler& handler;
  ReaderLimits limits;
  std::string document;
  std::unique_ptr<XML_ParserStruct, ParserFree> parser;
  std::size_t depth = 0;
  std::optional<Error> refusal;
  std::exception_ptr thrown;
  // A token that never ends (a 1 GB attribute) would grow expat's buffer without any callback:
  // count the bytes fed since the last callback and refuse past a bound.
  bool event_in_piece = false;
  std::uint64_t bytes_since_event = 0;
  std::uint64_t token_limit = 0;

  std::string position() const {
    return document + " line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ", column " +
           std::to_string(XML_GetCurrentColumnNumber(parser.get()));
  }

  void stop(Error error) {
    if (!refusal) {
      error.why = position() + ": " + error.why;
      refusal = std::move(error);
    }
    XML_StopParser(parser.get(), XML_FALSE);
  }

  // Runs one callback: expat is C, so neither an error nor an exception may unwind through it.
  template <class Callback>
  void guarded(Callback&& callback) {
    event_in_piece = true;
    if (refusal || thrown) return;  // expat may deliver a last event after XML_StopParser
    try {
      Result<void> result = callback();
      if (!result) stop(std::move(result.error()));
    } catch (...) {
      thrown = std::current_exception();
      XML_StopParser(parser.get(), XML_FALSE);
    }
  }

  static State& of(void* user_data) { return *static_cast<State*>(user_data); }

  static void on_start(void* user_data, const XML_Char* name, const XML_Char** attributes) {
    State& self = of(user_data);
    self.guarded([&]() -> Result<void> {
      if (++self.depth > self.limits.max_depth) {
        return refuse("nests elements more than " + std::to_string(self.limits.max_depth) +
                          " deep, beyond the reader's limit: refused",
                      kHostilePackageHint);
      }
      for (const XML_Char** pair = attributes; pair[0] != nullptr; pair += 2) {
        std::size_t size = std::strlen(pair[1]);
        if (size > self.limits.max_attribute_bytes) {
          return refuse("attribute " + quoted(pair[0]) + " is " + std::to_string(size) +
                            " bytes, larger than the " + std::to_string(self.limits.max_attribute_bytes) +
                            "-byte limit for one attribute: refused",
                        kHostilePackageHint);
        }
      }
      return self.handler.start_element(local_name(name), XmlAttributes(attributes));
    });
  }

  static void on_end(void* user_data, const XML_Char* name) {
    State& self = of(user_data);
    self.guarded([&]() -> Result<void> {
      if (self.depth > 0) --self.depth;
      return self.handler.end_element(local_name(name));
    });
  }

  static void on_text(void* user_data, const XML_Char* chars, int length) {
    State& self = of(user_data);
    self.guarded(
        [&] { return self.handler.text(std::string_view(chars, static_cast<std::size_t>(length))); });
  }

  static void on_doctype(void* user_data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    State& self = of(user_data);
    self.guarded([] {
      return refuse(
          "contains a DTD (<!DOCTYPE ...>): wsusutil never writes one, and DTD entities are how XML "
          "expansion attacks (\"billion laughs\") work: refused",
          kHostilePackageHint);
    });
  }

  static void on_entity(void* user_data, const XML_Char* name, int, const XML_Char*, int, const XML_Char*,
                        const XML_Char*, const XML_Char*, const XML_Char*) {
    State& self = of(user_data);
    self.guarded(
        [&] { return refuse("declares the XML entity " + quoted(name) + ": refused", kHostilePackageHint); });
  }

  static int on_external_entity(XML_Parser, const XML_Char*, const XML_Char*, const XML_Char*,
                                const XML_Char*) {
    return XML_STATUS_ERROR;  // never fetch anything a package points at
  }

  // Comments, processing instructions, the XML declaration: only the token guard cares about them.
  static void on_other(void* user_data, const XML_Char*, int) { of(user_data).event_in_piece = true; }

  Result<void> parse(std::string_view piece, bool final) {
    if (refusal) return std::unexpected(*refusal);
    event_in_piece = false;
    XML_Status status = XML_Parse(parser.get(), piece.data(), static_cast<int>(piece.size()), final ? 1 : 0);
    if (thrown) std::rethrow_exception(std::exchange(thrown, nullptr));
    if (refusal) return std::unexpected(*refusal);
    if (status != XML_STATUS_OK) {
      XML_Error code = XML_GetErrorCode(parser.get());
      bool ended_early =
          final && (code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
                    code == XML_ERROR_PARTIAL_CHAR || code == XML_ERROR_UNCLOSED_CDATA_SECTION);
      std::string why = position() + ": " +
                        (ended_early ? std::string("ends before its XML document does")
                                     : std::string("is not well-formed XML")) +
                        " (expat: " + XML_ErrorString(code) + ")";
      refusal = Error{ExitCode::kWsusutil, {}, std::move(why), kDamagedPackageHint};
      return std::unexpected(*refusal);
    }
    bytes_since_event = event_in_piece ? 0 : bytes_since_event + piece.size();
    if (bytes_since_event > token_limit) {
      refusal = Error{ExitCode::kWsusutil,
                      {},
                      position() + ": has an XML tag or token larger than " + std::to_string(token_limit) +
                          " bytes (one attribute may hold at most " +
                          std::to_string(limits.max_attribute_bytes) + "): refused",
                      kHostilePackageHint};
      return std::unexpected(*refusal);
    }
    return {};
  }
};

SecureXmlParser::SecureXmlParser(XmlElementHandler& handler, const ReaderLimits& limits, std::string document)
    : state_(std::make_unique<State>(handler, limits, std::move(document))) {
  State& s = *state_;
  s.parser.reset(XML_ParserCreate(nullptr));
  if (!s.parser) throw std::bad_alloc();
  // A start tag may carry several attributes of the maximum size; nothing legitimate comes close.
  s.token_limit = std::uint64_t{8} * limits.max_attribute_bytes + kFeedPiece;
  XML_Parser p = s.parser.get();
  XML_SetUserData(p, &s);
  XML_SetElementHandler(p, &State::on_start, &State::on_end);
  XML_SetCharacterDataHandler(p, &State::on_text);
  XML_SetStartDoctypeDeclHandler(p, &State::on_doctype);
  XML_SetEntityDeclHandler(p, &State::on_entity);
  XML_SetExternalEntityRefHandler(p, &State::on_external_entity);
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
  XML_SetDefaultHandlerExpand(p, &State::on_other);
}

SecureXmlParser::~SecureXmlParser() = default;

Result<void> SecureXmlParser::feed(std::string_view bytes) {
  do {
    std::string_view piece = bytes.substr(0, kFeedPiece);
    bytes.remove_prefix(piece.size());
    if (auto parsed = state_->parse(piece, false); !parsed) return parsed;
  } while (!bytes.empty());
  return {};
}

Result<void> SecureXmlParser::finish() {
  return state_->parse({}, true);
}

// ---------------------------------------------------------------------------------------------------
// PackageXmlReader

PackageXmlReader::PackageXmlReader(const PackageVisitor& visitor, const ReaderLimits& limits,
                                   RecordSink on_record)
    : visitor_(visitor), limits_(limits), on_record_(std::move(on_record)) {}

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
  };
  for (const auto& [known, tag] : kTags) {
    if (name == known) return tag;
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
  open_elements_.pop_back();
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
  if (auto algorithm = attributes.find("DigestAlgorithm"); algorithm && !iequals_ascii(trim(*algorithm), "SHA1")) {
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

}  // namespace wsa::wsus::detail
