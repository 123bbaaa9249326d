#pragma once
// Internal to manifest/: strict reading of the small JSON files that cross the air gap (manifest.json,
// signatures.json). Every field is required, typed and known; anything else is refused.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace wsa::manifest::detail {

// Why a JSON document was refused; thrown inside the parsers and turned into a Result at their edge.
struct JsonRefusal {
  std::string why;
};

// Parses `text` as one JSON value: no trailing data, no duplicate object keys, nesting at most 8
// levels, at most `max_bytes`. Throws JsonRefusal.
nlohmann::json parse_strict(std::string_view text, std::uint64_t max_bytes);

// Reads the fields of one JSON object; `context` prefixes field names in messages ("inventory.").
class ObjectReader {
 public:
  // Throws JsonRefusal unless `value` is an object.
  ObjectReader(const nlohmann::json& value, std::string context);
  // Throws JsonRefusal naming the first field not in `known`.
  void refuse_unknown(std::initializer_list<std::string_view> known) const;
  const nlohmann::json& field(std::string_view name) const;  // present, any type
  bool is_null(std::string_view name) const;
  std::string string(std::string_view name) const;
  std::uint64_t unsigned_integer(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  const nlohmann::json& array(std::string_view name) const;
  // The field's name as written in messages: "inventory.size".
  std::string label(std::string_view name) const { return context_ + std::string(name); }

 private:
  const nlohmann::json& object_;
  std::string context_;
};

// Refusal helpers shared by manifest and signature parsing.
bool is_lower_hex(std::string_view text, std::size_t length);
// A value from hostile input made safe to print: control characters replaced, at most 80 characters.
std::string printable(std::string_view text);

}  // namespace wsa::manifest::detail
