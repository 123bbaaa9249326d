// The hardened streaming expat parser behind every XML document of an export package (package.xml, the
// .xml.gz document, each update's metadata XML, and update XML carried as text inside a metadata
// element).
#include <expat.h>

#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include "common/text.h"
#include "wsus/package_xml.h"

namespace wsa::wsus::detail {

namespace {

// Expat reports every complete token in what it is given; feeding at most this much at a time keeps
// the token guard below precise and bounds how much expat re-scans an incomplete token.
constexpr std::size_t kFeedPiece = 64 * 1024;

std::unexpected<Error> refuse(std::string why, const char* hint = kDamagedPackageHint) {
  return make_error(ExitCode::kWsusutil, {}, std::move(why), hint);
}

// Hostile values can be megabytes long: messages quote only their start.
std::string quoted(std::string_view value) {
  return "\"" + printable(value, 48) + "\"";
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
    // Names are matched without assuming their case: the .xml.gz schema is not documented.
    if (iequals_ascii(local_name(pair[0]), local)) return std::string_view(pair[1]);
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

}  // namespace wsa::wsus::detail
