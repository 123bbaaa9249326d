#include "common/strict_json.h"
#include "tests/support/catch.h"

using namespace wsa;
using nlohmann::json;

namespace {
std::string why(std::string_view text, std::uint64_t max_bytes = 1024,
                const StreamedJsonArray* streamed = nullptr) {
  try {
    parse_strict_json(text, max_bytes, streamed);
  } catch (const JsonRefusal& refusal) {
    return refusal.why;
  }
  return "accepted";
}
}  // namespace

TEST_CASE("the strict reader refuses duplicate keys, deep nesting, trailing data and oversize input") {
  CHECK(why(R"({"a":1,"a":2})") == "has the field \"a\" twice in one object");
  CHECK(why(R"({"a":{"b":1,"b":1}})") == "has the field \"b\" twice in one object");
  CHECK(why(R"({"a":[{"b":1},{"b":1}]})") == "accepted");
  CHECK(why("[[[[[[[[1]]]]]]]]") == "accepted");
  CHECK(why("[[[[[[[[[1]]]]]]]]]") == "is nested deeper than 8 levels");
  CHECK(why("{} {}").starts_with("is not valid JSON: "));
  CHECK(why("").starts_with("is not valid JSON: "));
  CHECK(why(std::string(1025, ' ')) == "is too large: 1025 bytes; the limit is 1024");
}

TEST_CASE("the strict reader builds the same tree as nlohmann's own parser") {
  const char* text =
      R"({"s":"x\u00e9","n":null,"t":true,"u":18446744073709551615,"i":-5,"f":1.5,"a":[1,[2,{}]]})";
  CHECK(parse_strict_json(text, 1024) == json::parse(text));
}

TEST_CASE("a streamed array hands over each entry in order and keeps none of them") {
  std::vector<std::string> seen;
  StreamedJsonArray files{"files", 3, [&](const json& entry, std::size_t index) {
                            seen.push_back(std::to_string(index) + ":" + entry.dump());
                          }};
  json document = parse_strict_json(R"({"files":[{"p":[1,2]},"x",3],"other":[4]})", 1024, &files);
  CHECK(seen == std::vector<std::string>{"0:{\"p\":[1,2]}", "1:\"x\"", "2:3"});
  CHECK(document == json::parse(R"({"files":[],"other":[4]})"));
  CHECK(why(R"({"files":[1,2,3,4]})", 1024, &files) ==
        "is too large: its field files holds more than 3 entries, the limit");
}

TEST_CASE("the field reader names the field in every refusal") {
  json value = json::parse(R"({"s":"a\u0001","n":-1,"u":1,"arr":5})");
  JsonObjectReader reader(value, "body.");
  auto refusal = [&](auto&& read) {
    try {
      read();
    } catch (const JsonRefusal& r) {
      return r.why;
    }
    return std::string("accepted");
  };
  CHECK(refusal([&] { reader.refuse_unknown({"s", "n", "u"}); }) == "has an unknown field body.arr");
  CHECK(refusal([&] { reader.string("missing"); }) == "lacks the field body.missing");
  CHECK(refusal([&] { reader.unsigned_integer("n"); }) == "field body.n is not a non-negative integer");
  CHECK(refusal([&] { reader.array("arr"); }) == "field body.arr is not an array");
  CHECK(refusal([&] { reader.text("s", 10, true); }) ==
        "field body.s must be 0-10 characters without control characters");
  CHECK(reader.integer("n") == -1);
  CHECK(refusal([] { JsonObjectReader(json::array(), "x."); }) == "field x is not an object");
}
