// The three forms the update XML may take inside a .xml.gz package's metadata element (child
// elements, escaped text, CDATA), lower-case element names, and the refusal of a package from which
// nothing can be read (docs/export-package-forms.md).
#include <fmt/format.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"
#include "wsus/export_package.h"

using namespace wsa;
using namespace wsa::wsus;
using wsa::test::TestDir;

namespace {

namespace fs = boost::filesystem;

const std::string kId = "0a1b2c3d-1111-4222-8333-000000000001";
const std::string kSha1(20, '\x11');
const std::string kSha256(32, '\x22');

std::string update_xml() {
  return fmt::format(
      "<upd:Update xmlns:upd=\"http://schemas.microsoft.com/msus/2002/12/Update\">"
      "<upd:UpdateIdentity UpdateID=\"{}\" RevisionNumber=\"7\"/>"
      "<upd:Properties UpdateType=\"Software\"><upd:KBArticleID>5000001</upd:KBArticleID></upd:Properties>"
      "<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language>"
      "<upd:Title>Update &amp; more</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>"
      "<upd:Files><upd:File Digest=\"{}\" DigestAlgorithm=\"SHA1\" FileName=\"x.cab\" Size=\"1234\">"
      "<upd:AdditionalDigest Algorithm=\"SHA256\">{}</upd:AdditionalDigest></upd:File></upd:Files>"
      "</upd:Update>",
      kId, to_base64(kSha1), to_base64(kSha256));
}

std::string escape(const std::string& xml) {
  std::string out;
  for (char c : xml) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// The layout of the one public trace: ExportPackage/updates/update/metadata, lower-case names.
std::string package(const std::string& metadata_content) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ExportPackage ServerID=\"{{5B6E1F0C-1234-4ABC-9DEF-"
      "00AA11BB22CC}}\">\r\n<updates>\r\n<update UpdateId=\"{}\" RevisionNumber=\"7\">\r\n  "
      "<metadata>{}</metadata>"
      "\r\n</update>\r\n</updates>\r\n</ExportPackage>\r\n",
      kId, metadata_content);
}

fs::path write_gzip(const TestDir& dir, const std::string& name, const std::string& contents) {
  fs::path path = dir / name;
  gzFile out = gzopen(path.string().c_str(), "wb6");
  REQUIRE(out != nullptr);
  REQUIRE(gzwrite(out, contents.data(), static_cast<unsigned>(contents.size())) ==
          static_cast<int>(contents.size()));
  REQUIRE(gzclose(out) == Z_OK);
  return path;
}

struct Read {
  Result<PackageSummary> summary;
  std::vector<PackageUpdate> updates;
  std::vector<PackageFile> files;
};

Read read(const fs::path& path) {
  Read got{PackageSummary{}, {}, {}};
  PackageVisitor visitor{[&](const PackageFile& f) { got.files.push_back(f); },
                         [&](const PackageUpdate& u) { got.updates.push_back(u); }};
  got.summary = read_export_package(path, visitor);
  return got;
}

void check_the_update(const Read& got) {
  REQUIRE(got.summary.has_value());
  CHECK(got.summary->update_count == 1);
  CHECK(got.summary->updates_read == 1);
  CHECK(got.summary->files_read == 2);  // the update's reference to the file, and the file's details
  REQUIRE(got.updates.size() == 1);
  const auto& update = got.updates.front();
  CHECK(update.update_id == kId);
  CHECK(update.revision == 7);
  CHECK(update.title == "Update & more");
  CHECK(update.kb_article == "5000001");
  CHECK(update.file_sha1_hex == std::vector<std::string>{to_hex_upper(kSha1)});
  REQUIRE(got.files.size() == 1);
  CHECK(got.files.front().name == "x.cab");
  CHECK(got.files.front().size == 1234);
  CHECK(got.files.front().sha256_hex == to_hex_lower(kSha256));
}

}  // namespace

TEST_CASE("update XML inside metadata as child elements is read, with lower-case element names") {
  TestDir dir("forms-children");
  auto got = read(write_gzip(dir, "p.xml.gz", package(update_xml())));
  check_the_update(got);
  CHECK(got.summary->records_from_metadata_text == 0);
}

TEST_CASE("update XML inside metadata as escaped text is read by a second parser") {
  TestDir dir("forms-escaped");
  auto got = read(write_gzip(dir, "p.xml.gz", package(escape(update_xml()))));
  check_the_update(got);
  CHECK(got.summary->records_from_metadata_text == 1);
}

TEST_CASE("update XML inside metadata as CDATA is read by a second parser") {
  TestDir dir("forms-cdata");
  auto got = read(write_gzip(dir, "p.xml.gz", package("<![CDATA[" + update_xml() + "]]>")));
  check_the_update(got);
  CHECK(got.summary->records_from_metadata_text == 1);
}

TEST_CASE("escaped update XML split across many reads is read the same") {
  TestDir dir("forms-escaped-long");
  // Padding in an element the reader ignores pushes the text across expat's 64 KiB feeding pieces.
  std::string xml = update_xml();
  xml.insert(xml.find("</upd:Update>"),
             "<upd:Description>" + std::string(200000, 'x') + "</upd:Description>");
  check_the_update(read(write_gzip(dir, "p.xml.gz", package(escape(xml)))));
}

TEST_CASE("metadata text that is not update XML is refused naming the update") {
  TestDir dir("forms-not-xml");
  auto got = read(write_gzip(dir, "p.xml.gz", package("AAAABBBBCCCC")));
  REQUIRE_FALSE(got.summary.has_value());
  CHECK(got.summary.error().code == ExitCode::kWsusutil);
  CHECK(got.summary.error().why.find("update " + kId + ": the text of its metadata element line 1") !=
        std::string::npos);
  CHECK(got.summary.error().why.find("is not well-formed XML") != std::string::npos);
}

TEST_CASE("metadata text naming another update is refused as hostile") {
  TestDir dir("forms-other-id");
  std::string xml = update_xml();
  xml.replace(xml.find(kId), kId.size(), "0a1b2c3d-1111-4222-8333-000000000002");
  auto got = read(write_gzip(dir, "p.xml.gz", package(escape(xml))));
  REQUIRE_FALSE(got.summary.has_value());
  CHECK(got.summary.error().why.find("carries the metadata of another update") != std::string::npos);
}

TEST_CASE("a package with no update at all is refused with its own exit code") {
  TestDir dir("forms-empty");
  auto got = read(write_gzip(dir, "p.xml.gz", "<ExportPackage><updates/></ExportPackage>"));
  REQUIRE_FALSE(got.summary.has_value());
  CHECK(got.summary.error().code == ExitCode::kUnreadablePackage);
  CHECK(got.summary.error().what == (dir / "p.xml.gz").string());
  CHECK(got.summary.error().why ==
        "read 0 updates and 0 content files from it: an empty export, or a form of package this "
        "wsus-airgap does not understand");
}

TEST_CASE("a package whose updates name no file is refused with its own exit code") {
  TestDir dir("forms-no-files");
  // The update XML sits in an element the reader does not know: the updates are read, their files not.
  std::string unknown = "<ExportPackage><updates><update UpdateId=\"" + kId + "\"><payload>" +
                        escape(update_xml()) + "</payload></update></updates></ExportPackage>";
  auto got = read(write_gzip(dir, "p.xml.gz", unknown));
  REQUIRE_FALSE(got.summary.has_value());
  CHECK(got.summary.error().code == ExitCode::kUnreadablePackage);
  CHECK(got.summary.error().why.starts_with("read 1 updates and 0 content files from it"));
}

TEST_CASE("escaped update XML with its own XML declaration after indentation is read") {
  TestDir dir("forms-declaration");
  std::string inner = "<?xml version=\"1.0\" encoding=\"utf-8\"?>" + update_xml();
  check_the_update(read(write_gzip(dir, "p.xml.gz", package("\r\n    " + escape(inner) + "\r\n  "))));
}
