#include "tests/support/catch.h"
#include "wsus/content_name.h"

using namespace wsa::wsus;

namespace {
const std::string kSha1 = "0098C79E1404B4399BF0E686D88DBF052269A302";
}

TEST_CASE("a content path is XX/<SHA1>.ext with XX the digest's last byte") {
  auto name = parse_content_path("02/" + kSha1 + ".exe");
  REQUIRE(name.has_value());
  CHECK(name->sha1_hex == kSha1);
  CHECK(name->extension == "exe");
  CHECK(name->relative_path() == "02/" + kSha1 + ".exe");
}

TEST_CASE("lower-case hex is normalised to the upper-case name WSUS uses") {
  std::string lower = "0098c79e1404b4399bf0e686d88dbf052269a302";
  auto name = parse_content_path("02/" + lower + ".cab");
  REQUIRE(name.has_value());
  CHECK(name->relative_path() == "02/" + kSha1 + ".cab");
}

TEST_CASE("content paths that could escape the store or lie about the digest are refused") {
  CHECK_FALSE(parse_content_path("03/" + kSha1 + ".exe"));             // folder does not match the digest
  CHECK_FALSE(parse_content_path("/02/" + kSha1 + ".exe"));            // absolute
  CHECK_FALSE(parse_content_path("../" + kSha1 + ".exe"));             // parent
  CHECK_FALSE(parse_content_path("02\\" + kSha1 + ".exe"));            // backslash
  CHECK_FALSE(parse_content_path("C:/" + kSha1 + ".exe"));             // drive letter
  CHECK_FALSE(parse_content_path("02/" + kSha1 + ".exe:stream"));      // alternate data stream
  CHECK_FALSE(parse_content_path("02/" + kSha1 + ".exe/x"));           // extra folder
  CHECK_FALSE(parse_content_path("02/" + kSha1 + "."));                // empty extension
  CHECK_FALSE(parse_content_path("02/" + kSha1.substr(1) + "Z.exe"));  // not hex
  CHECK_FALSE(parse_content_path("//server/share/" + kSha1));          // UNC
}

TEST_CASE("a metadata file name and raw digest give the content name") {
  std::string raw(20, '\0');
  raw[19] = '\x0c';
  auto name = content_name_for(raw, "windows10.0-kb5000001.msu");
  REQUIRE(name.has_value());
  CHECK(name->relative_path() == "0C/000000000000000000000000000000000000000C.msu");
  CHECK_FALSE(content_name_for("short", "x.cab"));
}
