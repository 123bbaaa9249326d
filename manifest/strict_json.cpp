#include "manifest/strict_json.h"

#include <algorithm>
#include <set>
#include <vector>

namespace wsa::manifest::detail {

using nlohmann::json;

namespace {
// Deeper than any file we write: a hostile file cannot make the parser or the destructor recurse.
constexpr int kMaxDepth = 8;
}  // namespace

json parse_strict(std::string_view text, std::uint64_t max_bytes) {
  if (text.size() > max_bytes) {
    throw JsonRefusal{"is " + std::to_string(text.size()) + " bytes; the limit is " +
                      std::to_string(max_bytes)};
  }
  // nlohmann keeps the last of duplicate keys silently; two readers could then disagree on what a
  // signed file says, so duplicates are refused while parsing.
  std::vector<std::set<std::string>> open_objects;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxDepth)
      throw JsonRefusal{"is nested deeper than " + std::to_string(kMaxDepth) + " levels"};
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.empty() && !open_objects.back().insert(key).second) {
          throw JsonRefusal{"has the field \"" + printable(key) + "\" twice in one object"};
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& error) {
    // nlohmann's text names the byte offset and what it expected, which helps locate damage.
    throw JsonRefusal{std::string("is not valid JSON: ") + error.what()};
  }
}

ObjectReader::ObjectReader(const json& value, std::string context)
    : object_(value), context_(std::move(context)) {
  if (!object_.is_object()) {
    throw JsonRefusal{context_.empty()
                          ? "is not a JSON object"
                          : "field " + context_.substr(0, context_.size() - 1) + " is not an object"};
  }
}

void ObjectReader::refuse_unknown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw JsonRefusal{"has an unknown field " + label(printable(key))};
    }
  }
}

const json& ObjectReader::field(std::string_view name) const {
  auto found = object_.find(std::string(name));
  if (found == object_.end()) throw JsonRefusal{"lacks the field " + label(name)};
  return *found;
}

bool ObjectReader::is_null(std::string_view name) const {
  return field(name).is_null();
}

std::string ObjectReader::string(std::string_view name) const {
  const auto& value = field(name);
  if (!value.is_string()) throw JsonRefusal{"field " + label(name) + " is not a string"};
  return value.get<std::string>();
}

std::uint64_t ObjectReader::unsigned_integer(std::string_view name) const {
  const auto& value = field(name);
  // nlohmann stores every non-negative integer literal as unsigned; "1.0", "-1" and "1e3" are not.
  if (!value.is_number_unsigned())
    throw JsonRefusal{"field " + label(name) + " is not a non-negative integer"};
  return value.get<std::uint64_t>();
}

std::int64_t ObjectReader::integer(std::string_view name) const {
  const auto& value = field(name);
  if (value.is_number_unsigned()) {
    auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(INT64_MAX))
      throw JsonRefusal{"field " + label(name) + " is too large"};
    return static_cast<std::int64_t>(number);
  }
  if (!value.is_number_integer()) throw JsonRefusal{"field " + label(name) + " is not an integer"};
  return value.get<std::int64_t>();
}

const json& ObjectReader::array(std::string_view name) const {
  const auto& value = field(name);
  if (!value.is_array()) throw JsonRefusal{"field " + label(name) + " is not an array"};
  return value;
}

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string printable(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out;
  for (char c : text.substr(0, kMaxShown)) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

}  // namespace wsa::manifest::detail
