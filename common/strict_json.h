#pragma once
// Strict reading of the JSON files that cross the air gap (manifest.json, signatures.json, receipts,
// content requests, the live server's query output): one parser and one field reader, so every such
// file is read by the same rules and its errors are worded the same way.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace wsa {

// Why a JSON document was refused; thrown inside the parsers and turned into a Result at their edge.
struct JsonRefusal {
  std::string why;
};

// Deeper than any file the tool writes: a hostile file cannot make the parser or a destructor recurse.
inline constexpr std::size_t kMaxJsonDepth = 8;

// One array of the top-level object whose elements are handed over one at a time and not kept, so a
// file with a million entries costs one entry's tree, not a million. The array itself stays in the
// returned document, empty.
struct StreamedJsonArray {
  std::string key;          // the top-level field holding the array
  std::size_t max_entries;  // more is refused ("too large")
  std::function<void(const nlohmann::json& entry, std::size_t index)> on_entry;  // may throw JsonRefusal
};

// Parses `text` as one JSON value in time linear in its size: no trailing data, no duplicate object
// keys, at most kMaxJsonDepth nested arrays/objects, at most `max_bytes`. Throws JsonRefusal.
nlohmann::json parse_strict_json(std::string_view text, std::uint64_t max_bytes,
                                 const StreamedJsonArray* streamed = nullptr);

// Reads the fields of one JSON object; `context` prefixes field names in messages ("inventory.").
class JsonObjectReader {
 public:
  // Throws JsonRefusal unless `value` is an object.
  JsonObjectReader(const nlohmann::json& value, std::string context);
  // Throws JsonRefusal naming the first field not in `known`.
  void refuse_unknown(std::initializer_list<std::string_view> known) const;
  // The first field not in `known`, for a reader that words the refusal itself.
  std::optional<std::string> first_unknown(std::initializer_list<std::string_view> known) const;
  const nlohmann::json& field(std::string_view name) const;  // present, any type
  bool is_null(std::string_view name) const;
  std::string string(std::string_view name) const;
  std::uint64_t unsigned_integer(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  const nlohmann::json& array(std::string_view name) const;
  // A string of at most `max_length` bytes without control characters (UTF-8 allowed).
  std::string text(std::string_view name, std::size_t max_length, bool allow_empty) const;
  // The field's name as written in messages: "inventory.size".
  std::string label(std::string_view name) const { return context_ + std::string(name); }

 private:
  const nlohmann::json& object_;
  std::string context_;
};

}  // namespace wsa
