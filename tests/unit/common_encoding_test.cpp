#include "common/encoding.h"
#include "tests/support/catch.h"

using namespace wsa;

TEST_CASE("hex round-trips bytes in both cases and refuses non-hex") {
  std::string bytes("\x00\x9f\xab\xff", 4);
  CHECK(to_hex_lower(bytes) == "009fabff");
  CHECK(to_hex_upper(bytes) == "009FABFF");
  CHECK(from_hex("009FabFF") == bytes);
  CHECK_FALSE(from_hex("0g").has_value());
  CHECK_FALSE(from_hex("abc").has_value());
}

TEST_CASE("base64 decodes only strict standard base64") {
  CHECK(to_base64("hello") == "aGVsbG8=");
  CHECK(from_base64("aGVsbG8=") == "hello");
  CHECK(from_base64("aGVsbA==") == "hell");
  CHECK_FALSE(from_base64("aGVsbG8").has_value());
  CHECK_FALSE(from_base64("aGV=bG8=").has_value());
  CHECK_FALSE(from_base64("aGVs bG8").has_value());
}

TEST_CASE("byte sizes accept binary units and refuse garbage") {
  CHECK(parse_byte_size("4G") == 4ULL * 1024 * 1024 * 1024);
  CHECK(parse_byte_size("700M") == 700ULL * 1024 * 1024);
  CHECK(parse_byte_size("1.5GiB") == 1536ULL * 1024 * 1024);
  CHECK(parse_byte_size("12345") == 12345ULL);
  CHECK(parse_byte_size("10kb") == 10240ULL);
  CHECK_FALSE(parse_byte_size("").has_value());
  CHECK_FALSE(parse_byte_size("4X").has_value());
  CHECK_FALSE(parse_byte_size("-1G").has_value());
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(12) == "12 B");
}
