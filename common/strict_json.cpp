#include "common/strict_json.h"

#include <algorithm>
#include <vector>

#include "common/text.h"

namespace wsa {

using nlohmann::json;

namespace {

// Builds the document from nlohmann's SAX events. Written out (rather than json::parse with a
// callback) so duplicate keys are found with the object's own lookup, nesting is refused before it
// grows, and a streamed array's entries are handed over and dropped one by one.
class StrictBuilder {
 public:
  explicit StrictBuilder(const StreamedJsonArray* streamed) : streamed_(streamed) {}

  bool null() { return value(json(nullptr)); }
  bool boolean(bool v) { return value(json(v)); }
  bool number_integer(json::number_integer_t v) { return value(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return value(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return value(json(v)); }
  bool string(json::string_t& v) { return value(json(std::move(v))); }
  bool binary(json::binary_t&) { throw JsonRefusal{"is not valid JSON: it holds binary data"}; }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool key(json::string_t& name) {
    if (open_.back()->contains(name)) {
      throw JsonRefusal{"has the field \"" + printable(name) + "\" twice in one object"};
    }
    key_ = std::move(name);
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    // nlohmann's text names the byte offset and what it expected, which helps locate damage.
    throw JsonRefusal{std::string("is not valid JSON: ") + error.what()};
  }

  json take() { return std::move(root_); }

 private:
  // Where the next value goes: the root, an object's field, an array's end, or the scratch slot that
  // holds one streamed entry.
  json* place(json&& v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& parent = *open_.back();
    if (&parent == streamed_array_) {
      scratch_ = std::move(v);
      return &scratch_;
    }
    if (parent.is_object()) return &(parent[key_] = std::move(v));
    parent.push_back(std::move(v));
    return &parent.back();
  }

  bool value(json&& v) {
    json* placed = place(std::move(v));
    if (placed == &scratch_) deliver();
    return true;
  }

  bool open(json&& container) {
    if (open_.size() >= kMaxJsonDepth) {
      throw JsonRefusal{"is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    }
    bool streams = streamed_ != nullptr && open_.size() == 1 && open_.front()->is_object() &&
                   container.is_array() && key_ == streamed_->key;
    json* placed = place(std::move(container));
    open_.push_back(placed);
    if (streams) streamed_array_ = placed;
    return true;
  }

  bool close() {
    json* closed = open_.back();
    open_.pop_back();
    if (closed == &scratch_) deliver();
    return true;
  }

  void deliver() {
    if (entries_ >= streamed_->max_entries) {
      throw JsonRefusal{"is too large: its field " + streamed_->key + " holds more than " +
                        std::to_string(streamed_->max_entries) + " entries, the limit"};
    }
    streamed_->on_entry(scratch_, entries_++);
    scratch_ = nullptr;
  }

  const StreamedJsonArray* streamed_;
  json root_;
  std::vector<json*> open_;
  json::string_t key_;
  json* streamed_array_ = nullptr;
  json scratch_;
  std::size_t entries_ = 0;
};

}  // namespace

json parse_strict_json(std::string_view text, std::uint64_t max_bytes, const StreamedJsonArray* streamed) {
  if (text.size() > max_bytes) {
    throw JsonRefusal{"is too large: " + std::to_string(text.size()) + " bytes; the limit is " +
                      std::to_string(max_bytes)};
  }
  StrictBuilder builder(streamed);
  json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                  /*strict=*/true, /*ignore_comments=*/false);
  return builder.take();
}

JsonObjectReader::JsonObjectReader(const json& value, std::string context)
    : object_(value), context_(std::move(context)) {
  if (!object_.is_object()) {
    throw JsonRefusal{context_.empty()
                          ? "is not a JSON object"
                          : "field " + context_.substr(0, context_.size() - 1) + " is not an object"};
  }
}

std::optional<std::string> JsonObjectReader::first_unknown(
    std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) return key;
  }
  return std::nullopt;
}

void JsonObjectReader::refuse_unknown(std::initializer_list<std::string_view> known) const {
  if (auto key = first_unknown(known)) throw JsonRefusal{"has an unknown field " + label(printable(*key))};
}

const json& JsonObjectReader::field(std::string_view name) const {
  auto found = object_.find(name);
  if (found == object_.end()) throw JsonRefusal{"lacks the field " + label(name)};
  return *found;
}

bool JsonObjectReader::is_null(std::string_view name) const {
  return field(name).is_null();
}

std::string JsonObjectReader::string(std::string_view name) const {
  const auto& value = field(name);
  if (!value.is_string()) throw JsonRefusal{"field " + label(name) + " is not a string"};
  return value.get<std::string>();
}

std::uint64_t JsonObjectReader::unsigned_integer(std::string_view name) const {
  const auto& value = field(name);
  // nlohmann stores every non-negative integer literal as unsigned; "1.0", "-1" and "1e3" are not.
  if (!value.is_number_unsigned())
    throw JsonRefusal{"field " + label(name) + " is not a non-negative integer"};
  return value.get<std::uint64_t>();
}

std::int64_t JsonObjectReader::integer(std::string_view name) const {
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

const json& JsonObjectReader::array(std::string_view name) const {
  const auto& value = field(name);
  if (!value.is_array()) throw JsonRefusal{"field " + label(name) + " is not an array"};
  return value;
}

std::string JsonObjectReader::text(std::string_view name, std::size_t max_length, bool allow_empty) const {
  std::string value = string(name);
  if ((!allow_empty && value.empty()) || value.size() > max_length || !has_no_control_characters(value)) {
    throw JsonRefusal{"field " + label(name) + " must be " + (allow_empty ? "0" : "1") + "-" +
                      std::to_string(max_length) + " characters without control characters"};
  }
  return value;
}

}  // namespace wsa
