#include "common/text.h"
#include "tests/support/catch.h"

using namespace wsa;

TEST_CASE("is_printable_ascii accepts 0x20-0x7E only, so UTF-8 and DEL are refused") {
  CHECK(is_printable_ascii("WSUS-UP01 ~!"));
  CHECK(is_printable_ascii(""));
  CHECK_FALSE(is_printable_ascii("caf\xC3\xA9"));
  CHECK_FALSE(is_printable_ascii("\x80"));
  CHECK_FALSE(is_printable_ascii("\xFF"));
  CHECK_FALSE(is_printable_ascii("a\x7F"));
  CHECK_FALSE(is_printable_ascii("tab\there"));
}

TEST_CASE("to_printable_ascii replaces every other byte and cuts to the length") {
  CHECK(to_printable_ascii("caf\xC3\xA9\n", 80) == "caf???");
  CHECK(to_printable_ascii("abcdef", 3) == "abc");
}

TEST_CASE("has_no_control_characters lets UTF-8 through and refuses C0 controls and DEL") {
  CHECK(has_no_control_characters("Mise \xC3\xA0 jour"));
  CHECK_FALSE(has_no_control_characters("a\x1b[2J"));
  CHECK_FALSE(has_no_control_characters("a\x7F"));
}

TEST_CASE("printable makes hostile text safe to quote and marks the cut") {
  CHECK(printable("a\x1b[2Jb") == "a?[2Jb");
  CHECK(printable(std::string(100, 'x')) == std::string(80, 'x') + "...");
  CHECK(printable("abcdef", 3) == "abc...");
  CHECK(printable("\xC3\xA9") == "\xC3\xA9");
}

TEST_CASE("identifiers, lower-case hex and decimal digits are checked by one rule each") {
  CHECK(is_identifier("a.b_c-9", 64));
  CHECK_FALSE(is_identifier("", 64));
  CHECK_FALSE(is_identifier("a b", 64));
  CHECK_FALSE(is_identifier(std::string(65, 'a'), 64));
  CHECK(is_lower_hex("0a9f", 4));
  CHECK_FALSE(is_lower_hex("0A9F", 4));
  CHECK_FALSE(is_lower_hex("0a9", 4));
  CHECK(is_decimal_digits("0123"));
  CHECK_FALSE(is_decimal_digits("12a"));
}

TEST_CASE("ASCII case mapping leaves bytes over 0x7F alone, whatever the locale") {
  CHECK(to_upper_ascii("ab\xC3\xA9z") == "AB\xC3\xA9Z");
  CHECK(to_lower_ascii("AB\xC3\x89Z") == "ab\xC3\x89z");
  CHECK(iequals_ascii("SHA256", "sha256"));
  CHECK_FALSE(iequals_ascii("SHA256", "sha1"));
  CHECK(trim_space(" \t x y \r\n") == "x y");
  CHECK(trim_space("   ").empty());
}

TEST_CASE("normalize_kb keeps the digits of a KB number and refuses anything else") {
  CHECK(normalize_kb("KB5000001") == "5000001");
  CHECK(normalize_kb(" kb5000001 ") == "5000001");
  CHECK(normalize_kb("5000001") == "5000001");
  CHECK(normalize_kb("") == "");
  CHECK_FALSE(normalize_kb("KB").has_value());
  CHECK_FALSE(normalize_kb("KB50a").has_value());
  CHECK_FALSE(normalize_kb(std::string(kMaxKbDigits + 1, '1')).has_value());
  CHECK(normalize_kb(std::string(kMaxKbDigits, '1')) == std::string(kMaxKbDigits, '1'));
}
