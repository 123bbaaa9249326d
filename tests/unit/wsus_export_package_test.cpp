// The wsusutil export package reader: both containers, every refusal, and bounded memory on a large
// package. Packages are built here: .xml.gz with zlib, CAB with Debian's gcab (a writer independent of
// ours); on Windows, which has no gcab, with the simulator's cabinet writer, itself checked against gcab
// by the Linux suite (sim_tests).
#include "wsus/export_package.h"

#include <fmt/format.h>
#include <zlib.h>

#include <boost/filesystem/operations.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "tests/support/catch.h"
#include "tests/support/test_dir.h"
#ifdef _WIN32
#include "tests/sim/cab_writer.h"
#endif

using namespace wsa;
using namespace wsa::wsus;
using wsa::test::TestDir;

namespace {

namespace fs = boost::filesystem;

constexpr const char* kUpdNamespace = "http://schemas.microsoft.com/msus/2002/12/Update";

struct FakeFile {
  std::string name;
  std::uint64_t size = 0;
  std::string sha1;    // 20 raw bytes
  std::string sha256;  // 32 raw bytes
};

struct FakeUpdate {
  std::string id;  // lower case, as the reader reports it
  std::uint32_t revision = 0;
  std::string title;
  std::string kb;  // as written in the XML ("KB5000001" or "5000001")
  std::string classification;
  std::vector<FakeFile> files;
};

// Deterministic bytes, so digests differ per seed and tests can recompute them.
std::string fake_bytes(std::size_t count, std::uint64_t seed) {
  std::string out(count, '\0');
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (auto& c : out) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    c = static_cast<char>(state & 0xFF);
  }
  return out;
}

std::string guid(std::uint64_t n) {
  return fmt::format("{:08x}-1111-4222-8333-{:012x}", n & 0xFFFFFFFF, n);
}

FakeFile fake_file(std::uint64_t n) {
  return {fmt::format("windows10.0-kb{}-x64.msu", 5000000 + n), 1000 + n, fake_bytes(20, n),
          fake_bytes(32, n + 7777)};
}

// The updates every good-path test expects: shared files, a French title listed before the English
// one, a "KB" prefix, an upper-case braced classification, and an update without files (a category).
std::vector<FakeUpdate> sample_updates() {
  FakeFile a = fake_file(1), b = fake_file(2), c = fake_file(3);
  return {
      {guid(0xA1),
       201,
       "2026-11 Cumulative Update for Windows 10 (KB5000001)",
       "KB5000001",
       "0fa1201d-4330-4fa8-8ae9-b877473b6441",
       {a, b}},
      {guid(0xB2), 3, "Servicing Stack Update & more <x64>", "5000002", "", {b, c}},
      {guid(0xC3), 1, "Windows 10 (product category)", "", "", {}},
  };
}

std::string b64(const std::string& raw) {
  return to_base64(raw);
}

// One update's metadata XML, as metadata.txt carries it and the .xml.gz embeds it.
std::string update_xml(const FakeUpdate& u) {
  auto escape = [](std::string text) {
    std::string out;
    for (char ch : text) {
      if (ch == '&')
        out += "&amp;";
      else if (ch == '<')
        out += "&lt;";
      else if (ch == '>')
        out += "&gt;";
      else
        out.push_back(ch);
    }
    return out;
  };
  std::string xml = fmt::format("<upd:Update xmlns:upd=\"{}\">", kUpdNamespace);
  xml += fmt::format("<upd:UpdateIdentity UpdateID=\"{}\" RevisionNumber=\"{}\"/>", u.id, u.revision);
  xml += "<upd:Properties UpdateType=\"Software\">";
  if (!u.kb.empty()) xml += "<upd:KBArticleID>" + u.kb + "</upd:KBArticleID>";
  xml += "</upd:Properties>";
  // Another update's identity inside Relationships must not be taken for this update's.
  xml += fmt::format(
      "<upd:Relationships><upd:Prerequisites><upd:UpdateIdentity UpdateID=\"{}\"/>"
      "</upd:Prerequisites></upd:Relationships>",
      guid(0xFFFF));
  xml +=
      "<upd:LocalizedPropertiesCollection>"
      "<upd:LocalizedProperties><upd:Language>fr</upd:Language><upd:Title>Mise a jour</upd:Title>"
      "</upd:LocalizedProperties>"
      "<upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>" +
      escape(u.title) +
      "</upd:Title><upd:Description>Installs things.</upd:Description></upd:LocalizedProperties>"
      "</upd:LocalizedPropertiesCollection>";
  if (!u.files.empty()) {
    xml += "<upd:Files>";
    for (const auto& f : u.files) {
      xml += fmt::format(
          "<upd:File Digest=\"{}\" DigestAlgorithm=\"SHA1\" FileName=\"{}\" Size=\"{}\" "
          "Modified=\"2026-11-10T00:00:00Z\">"
          "<upd:AdditionalDigest Algorithm=\"SHA256\">{}</upd:AdditionalDigest></upd:File>",
          b64(f.sha1), f.name, f.size, b64(f.sha256));
    }
    xml += "</upd:Files>";
  }
  xml +=
      "<upd:HandlerSpecificData type=\"cbs:Cbs\"><cbs:Unknown "
      "xmlns:cbs=\"urn:x\"/></upd:HandlerSpecificData>";
  xml += "</upd:Update>";
  return xml;
}

std::string metadata_line(const FakeUpdate& u, const char* line_end = "\r\n") {
  std::string xml = update_xml(u);
  return fmt::format("{},{:08x},{:08x},{}{}", u.id, u.revision, xml.size(), xml, line_end);
}

std::string metadata_txt(const std::vector<FakeUpdate>& updates) {
  std::string out;
  for (const auto& u : updates) out += metadata_line(u);
  return out;
}

const std::string kServerId = "{5B6E1F0C-1234-4ABC-9DEF-00AA11BB22CC}";

// The package document: package.xml (embed = false) or the .xml.gz convention (embed = true).
std::string package_document(const std::vector<FakeUpdate>& updates, bool embed) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n";
  xml += "<ExportPackage ServerID=\"" + kServerId +
         "\" CreationTime=\"2026-11-20T08:00:00Z\" FormatVersion=\"1.0\" ProtocolVersion=\"1.20\">\r\n";
  xml +=
      "<Languages><Language Id=\"1033\" ShortName=\"en\" LongName=\"English\" "
      "Enabled=\"1\"/></Languages>\r\n";
  xml += "<Files>\r\n";
  std::map<std::string, FakeFile> distinct;
  for (const auto& u : updates) {
    for (const auto& f : u.files) distinct.emplace(f.sha1, f);
  }
  for (const auto& [sha1, f] : distinct) {
    xml +=
        fmt::format("<File Digest=\"{}\" MUUrl=\"http://download.windowsupdate.com/x/{}\" Name=\"{}\"/>\r\n",
                    b64(sha1), f.name, f.name);
  }
  xml += "</Files>\r\n<Updates>\r\n";
  for (const auto& u : updates) {
    xml += fmt::format("<Update UpdateId=\"{}\" RevisionNumber=\"{}\"><Files>", u.id, u.revision);
    for (const auto& f : u.files) xml += "<File Digest=\"" + b64(f.sha1) + "\"/>";
    xml += "</Files><Categories><Category Value=\"" + guid(0xCA7) + "\"/></Categories><Classifications>";
    if (!u.classification.empty()) {
      std::string upper = u.classification;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      xml += "<Classification Value=\"{" + upper + "}\"/>";
    }
    xml += "</Classifications>";
    if (embed) xml += update_xml(u);
    xml += "</Update>\r\n";
  }
  xml += "</Updates>\r\n</ExportPackage>\r\n";
  return xml;
}

void write_gzip(const fs::path& path, std::string_view contents, int level = 6) {
  gzFile out = gzopen(path.string().c_str(), fmt::format("wb{}", level).c_str());
  REQUIRE(out != nullptr);
  while (!contents.empty()) {
    auto piece = contents.substr(0, 1 << 20);
    REQUIRE(gzwrite(out, piece.data(), static_cast<unsigned>(piece.size())) ==
            static_cast<int>(piece.size()));
    contents.remove_prefix(piece.size());
  }
  REQUIRE(gzclose(out) == Z_OK);
}

struct CabMember {
  std::string name;
  std::string contents;
};

// gcab stores the members in the order given, under their base names (-n), MSZIP-compressed (-z).
fs::path make_cab(const TestDir& dir, const std::string& cab_name, const std::vector<CabMember>& members) {
  fs::path source = dir / ("cab-source-" + cab_name);
  fs::create_directories(source);
#ifdef _WIN32
  std::vector<sim::CabinetEntry> entries;
  for (const auto& member : members) {
    entries.push_back({member.name, [&member](const sim::ByteSink& sink) { sink(member.contents); }});
  }
  REQUIRE(sim::write_cabinet(dir / cab_name, entries).has_value());
#else
  std::string command = "gcab -c -n -z '" + (dir / cab_name).string() + "'";
  for (const auto& member : members) {
    test::write_file(source / member.name, member.contents);
    command += " '" + (source / member.name).string() + "'";
  }
  command += " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
#endif
  return dir / cab_name;
}

fs::path make_cab(const TestDir& dir, const std::vector<FakeUpdate>& updates) {
  return make_cab(
      dir, "export.cab",
      {{"package.xml", package_document(updates, false)}, {"metadata.txt", metadata_txt(updates)}});
}

void truncate_file(const fs::path& path, std::uintmax_t size) {
  fs::resize_file(path, size);
}

std::string hex_lower(const std::string& raw) {
  return to_hex_lower(raw);
}
std::string hex_upper(const std::string& raw) {
  return to_hex_upper(raw);
}

struct Collected {
  std::vector<PackageFile> files;
  std::vector<PackageUpdate> updates;
  PackageVisitor visitor() {
    return {[this](const PackageFile& f) { files.push_back(f); },
            [this](const PackageUpdate& u) { updates.push_back(u); }};
  }
  // What a consumer does: merge the non-empty fields of every call by update id / digest.
  std::map<std::string, PackageUpdate> merged_updates() const {
    std::map<std::string, PackageUpdate> out;
    for (const auto& u : updates) {
      auto& m = out[u.update_id];
      m.update_id = u.update_id;
      m.revision = u.revision;
      if (!u.title.empty()) m.title = u.title;
      if (!u.kb_article.empty()) m.kb_article = u.kb_article;
      if (!u.classification.empty()) m.classification = u.classification;
      for (const auto& sha1 : u.file_sha1_hex) {
        if (std::find(m.file_sha1_hex.begin(), m.file_sha1_hex.end(), sha1) == m.file_sha1_hex.end()) {
          m.file_sha1_hex.push_back(sha1);
        }
      }
    }
    return out;
  }
  std::map<std::string, PackageFile> merged_files() const {
    std::map<std::string, PackageFile> out;
    for (const auto& f : files) {
      auto& m = out[f.sha1_hex];
      m.sha1_hex = f.sha1_hex;
      if (!f.name.empty()) m.name = f.name;
      if (f.size) m.size = f.size;
      if (f.sha256_hex) m.sha256_hex = f.sha256_hex;
    }
    return out;
  }
};

void check_sample_content(const Collected& got) {
  auto expected = sample_updates();
  auto updates = got.merged_updates();
  REQUIRE(updates.size() == expected.size());
  std::map<std::string, FakeFile> expected_files;
  for (const auto& e : expected) {
    INFO("update " << e.id);
    REQUIRE(updates.count(e.id) == 1);
    const auto& u = updates.at(e.id);
    CHECK(u.revision == e.revision);
    CHECK(u.title == e.title);
    CHECK(u.kb_article == (e.kb.starts_with("KB") ? e.kb.substr(2) : e.kb));
    CHECK(u.classification == e.classification);
    std::vector<std::string> sha1s;
    for (const auto& f : e.files) {
      sha1s.push_back(hex_upper(f.sha1));
      expected_files.emplace(hex_upper(f.sha1), f);
    }
    CHECK(u.file_sha1_hex == sha1s);
  }
  auto files = got.merged_files();
  REQUIRE(files.size() == expected_files.size());
  for (const auto& [sha1, e] : expected_files) {
    INFO("file " << sha1);
    REQUIRE(files.count(sha1) == 1);
    const auto& f = files.at(sha1);
    CHECK(f.name == e.name);
    CHECK(f.size == e.size);
    CHECK(f.sha256_hex == hex_lower(e.sha256));
  }
}

// The error a package gives, checked to be a wsusutil error that names the package first.
Error refusal_of(const fs::path& package, const ReaderLimits& limits = {}) {
  Collected ignored;
  auto result = read_export_package(package, ignored.visitor(), limits);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().what == package.string());
  CHECK(result.error().message().starts_with(package.string() + ": "));
  CHECK_FALSE(result.error().hint.empty());
  return result.error();
}

// AddressSanitizer keeps freed memory in quarantine, so peak RSS says nothing under it.
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
// Peak resident set size of this process (VmHWM), in KiB.
std::uint64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6));
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux 4.0+), so the peak measures only what follows.
void reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}
#endif

}  // namespace

TEST_CASE("an update id is normalised to lower case without braces, and anything else is refused") {
  CHECK(normalize_update_id("{0A1B2C3D-4E5F-6789-ABCD-EF0123456789}") ==
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
  CHECK(normalize_update_id("0a1b2c3d-4e5f-6789-abcd-ef0123456789") ==
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
  CHECK_FALSE(normalize_update_id("0a1b2c3d-4e5f-6789-abcd-ef012345678"));
  CHECK_FALSE(normalize_update_id("{0a1b2c3d-4e5f-6789-abcd-ef0123456789"));
  CHECK_FALSE(normalize_update_id("0a1b2c3d44e5f-6789-abcd-ef0123456789"));
  CHECK_FALSE(normalize_update_id("0a1b2c3d-4e5f-6789-abcd-ef012345678g"));
  CHECK_FALSE(normalize_update_id(""));
}

TEST_CASE(
    "an .xml.gz package lists every update with its title, KB, classification, files, sizes and SHA-256") {
  TestDir dir("xml-gz package");
  fs::path package = dir / "export.xml.gz";
  write_gzip(package, package_document(sample_updates(), true));

  Collected got;
  auto summary = read_export_package(package, got.visitor());
  REQUIRE(summary.has_value());
  CHECK(summary->container == PackageContainer::kGzip);
  CHECK(summary->server_id == "5b6e1f0c-1234-4abc-9def-00aa11bb22cc");
  CHECK(summary->creation_time == "2026-11-20T08:00:00Z");
  CHECK(summary->update_count == 3);
  CHECK(summary->file_count == 3);
  CHECK(summary->metadata_records == 0);
  CHECK(summary->uncompressed_bytes == package_document(sample_updates(), true).size());
  // One call per <Update>: the embedded metadata is merged into it, not reported separately.
  REQUIRE(got.updates.size() == 3);
  CHECK(got.updates[0].title == sample_updates()[0].title);
  CHECK(got.updates[0].file_sha1_hex.size() == 2);
  check_sample_content(got);
  CHECK(check_export_package(package).has_value());
}

TEST_CASE("a CAB package lists the same updates and files from package.xml and metadata.txt") {
  TestDir dir("cab package");
  fs::path package = make_cab(dir, sample_updates());

  Collected got;
  auto summary = read_export_package(package, got.visitor());
  REQUIRE(summary.has_value());
  CHECK(summary->container == PackageContainer::kCab);
  CHECK(summary->server_id == "5b6e1f0c-1234-4abc-9def-00aa11bb22cc");
  CHECK(summary->update_count == 3);
  CHECK(summary->file_count == 3);
  CHECK(summary->metadata_records == 3);
  CHECK(summary->uncompressed_bytes ==
        package_document(sample_updates(), false).size() + metadata_txt(sample_updates()).size());
  // Each update twice: package.xml (files, classification), then metadata.txt (title, KB, files).
  CHECK(got.updates.size() == 6);
  check_sample_content(got);
  CHECK(check_export_package(package).has_value());
}

TEST_CASE("CAB entries are found in either order whatever the case of their names, and others are ignored") {
  TestDir dir("cab entry order");
  auto updates = sample_updates();
  fs::path package = make_cab(dir, "EXPORT.CAB",
                              {{"README.txt", "not part of the export"},
                               {"METADATA.TXT", metadata_txt(updates)},
                               {"Package.Xml", package_document(updates, false)}});
  Collected got;
  auto summary = read_export_package(package, got.visitor());
  REQUIRE(summary.has_value());
  CHECK(summary->metadata_records == 3);
  check_sample_content(got);
}

TEST_CASE("metadata.txt lines may end in LF alone and may cross the cabinet's read blocks") {
  TestDir dir("cab many records");
  std::vector<FakeUpdate> updates;
  std::string metadata;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    updates.push_back({guid(i + 1),
                       static_cast<std::uint32_t>(i),
                       fmt::format("Update number {}", i),
                       fmt::format("{}", 4000000 + i),
                       "",
                       {fake_file(i + 100)}});
    metadata += metadata_line(updates.back(), i % 2 == 0 ? "\r\n" : "\n");
  }
  metadata.pop_back();  // and the last line may lack its line break entirely
  if (metadata.back() == '\r') metadata.pop_back();
  fs::path package = make_cab(
      dir, "export.cab", {{"package.xml", package_document(updates, false)}, {"metadata.txt", metadata}});
  REQUIRE(fs::file_size(package) > 0);

  std::uint64_t records = 0;
  std::uint64_t titled = 0;
  PackageVisitor visitor;
  visitor.on_update = [&](const PackageUpdate& u) {
    if (u.title.empty()) return;
    std::uint64_t i = records++;
    if (u.update_id == guid(i + 1) && u.title == fmt::format("Update number {}", i) &&
        u.kb_article == fmt::format("{}", 4000000 + i) && u.file_sha1_hex.size() == 1) {
      ++titled;
    }
  };
  auto summary = read_export_package(package, visitor);
  REQUIRE(summary.has_value());
  CHECK(summary->metadata_records == 3000);
  CHECK(records == 3000);
  CHECK(titled == 3000);
}

TEST_CASE("a zero-byte package is refused before anything runs, citing KB2819484") {
  TestDir dir("zero byte package");
  for (const char* name : {"export.xml.gz", "export.cab"}) {
    fs::path package = dir / name;
    test::write_file(package, "");
    auto error = refusal_of(package);
    CHECK(error.code == ExitCode::kWsusutil);
    CHECK(error.why == "is empty (0 bytes): wsusutil export produced nothing (KB2819484)");
    auto checked = check_export_package(package);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().message() == error.message());
  }
}

TEST_CASE("a missing package or a folder is refused with the path named") {
  TestDir dir("missing package");
  auto missing = check_export_package(dir / "nothing.xml.gz");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message().starts_with((dir / "nothing.xml.gz").string() + ": does not exist"));
  auto folder = refusal_of(dir.path());
  CHECK(folder.why == "is not a regular file");
}

TEST_CASE("a truncated .xml.gz package is refused because its gzip stream has no end marker") {
  TestDir dir("truncated gzip");
  fs::path package = dir / "export.xml.gz";
  write_gzip(package, package_document(sample_updates(), true));
  truncate_file(package, fs::file_size(package) / 2);

  auto error = refusal_of(package);
  CHECK(error.code == ExitCode::kWsusutil);
  CHECK(error.why.starts_with("is truncated: the gzip stream ends before its end marker"));
  auto checked = check_export_package(package);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().why.starts_with("is truncated: the gzip stream ends before its end marker"));

  // Even a few bytes short (the CRC and length trailer cut) is truncated, not "fine".
  write_gzip(package, package_document(sample_updates(), true));
  truncate_file(package, fs::file_size(package) - 3);
  CHECK(refusal_of(package).why.starts_with("is truncated"));
}

TEST_CASE("a truncated CAB package is refused because its size disagrees with its cabinet header") {
  TestDir dir("truncated cab");
  fs::path package = make_cab(dir, sample_updates());
  auto full_size = fs::file_size(package);
  truncate_file(package, full_size / 2);

  auto error = refusal_of(package);
  CHECK(error.why == "is truncated: its cabinet header says " + std::to_string(full_size) +
                         " bytes but the file has " + std::to_string(full_size / 2) + " (KB2819484)");
  auto checked = check_export_package(package);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().why == error.why);

  truncate_file(package, 20);
  CHECK(refusal_of(package).why == "is truncated: 20 bytes cannot hold a cabinet header (KB2819484)");
}

TEST_CASE("a CAB package with a damaged data block is refused as damaged") {
  TestDir dir("damaged cab");
  fs::path package = make_cab(dir, sample_updates());
  std::string bytes = test::read_file(package);
  for (std::size_t i = bytes.size() - 40; i < bytes.size() - 20; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  test::write_file(package, bytes);

  auto error = refusal_of(package);
  CHECK(error.code == ExitCode::kWsusutil);
  CHECK(error.why.find("damaged") != std::string::npos);
  auto checked = check_export_package(package);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().why.find("damaged") != std::string::npos);
}

TEST_CASE("a file that is not a package is refused, showing its first bytes") {
  TestDir dir("garbage package");
  fs::path package = dir / "export.xml.gz";  // the extension lies: only the bytes count
  test::write_file(package, "<html><body>404 Not Found</body></html>");
  auto error = refusal_of(package);
  CHECK(
      error.why.starts_with("is not a wsusutil export package: starts with bytes 3c 68 74 6d 6c 3e 3c 62 "));
  CHECK_FALSE(check_export_package(package).has_value());

  // And a plain XML document without its gzip wrapper is no package either.
  test::write_file(package, package_document(sample_updates(), true));
  CHECK(refusal_of(package).why.starts_with(
      "is not a wsusutil export package: starts with bytes 3c 3f 78 6d 6c"));
}

TEST_CASE("a DOCTYPE with nested entities (billion laughs) is refused before any entity is expanded") {
  TestDir dir("billion laughs");
  std::string dtd = "<!DOCTYPE ExportPackage [<!ENTITY lol \"lol\">";
  std::string previous = "lol";
  for (int level = 1; level <= 9; ++level) {
    std::string name = "lol" + std::to_string(level);
    dtd += "<!ENTITY " + name + " \"";
    for (int i = 0; i < 10; ++i) dtd += "&" + previous + ";";
    dtd += "\">";
    previous = name;
  }
  dtd += "]>";
  std::string document =
      "<?xml version=\"1.0\"?>" + dtd + "<ExportPackage ServerID=\"&lol9;\">&lol9;</ExportPackage>";

  fs::path gz = dir / "laughs.xml.gz";
  write_gzip(gz, document);
  auto error = refusal_of(gz);
  CHECK(error.why.starts_with("package XML line 1, column "));
  CHECK(error.why.find("contains a DTD (<!DOCTYPE ...>)") != std::string::npos);
  CHECK(error.why.find("refused") != std::string::npos);
  CHECK(error.hint.find("do not import") != std::string::npos);

  // The same inside a metadata.txt record, with an honest length field.
  std::string record_xml =
      dtd + "<upd:Update xmlns:upd=\"" + std::string(kUpdNamespace) + "\">&lol9;</upd:Update>";
  std::string metadata =
      fmt::format("{},{:08x},{:08x},{}\r\n", guid(0xA1), 201, record_xml.size(), record_xml);
  fs::path cab =
      make_cab(dir, "laughs.cab",
               {{"package.xml", package_document(sample_updates(), false)}, {"metadata.txt", metadata}});
  auto cab_error = refusal_of(cab);
  CHECK(cab_error.why.starts_with("metadata.txt line 1: update XML line 1, column "));
  CHECK(cab_error.why.find("contains a DTD") != std::string::npos);
}

TEST_CASE("elements nested 10,000 deep are refused at the depth limit") {
  TestDir dir("deep nesting");
  std::string document = "<ExportPackage>";
  for (int i = 0; i < 10000; ++i) document += "<Updates>";
  for (int i = 0; i < 10000; ++i) document += "</Updates>";
  document += "</ExportPackage>";
  fs::path package = dir / "deep.xml.gz";
  write_gzip(package, document);
  auto error = refusal_of(package);
  CHECK(error.why.find("nests elements more than 64 deep, beyond the reader's limit: refused") !=
        std::string::npos);
}

TEST_CASE("a 1 MB attribute is refused at the attribute limit") {
  TestDir dir("huge attribute");
  fs::path package = dir / "attribute.xml.gz";
  write_gzip(package, "<ExportPackage ServerID=\"" + std::string(1 << 20, 'A') + "\"></ExportPackage>");
  auto error = refusal_of(package);
  CHECK(error.why.starts_with("package XML line 1, column "));
  CHECK(error.why.find("larger than") != std::string::npos);
  CHECK(error.why.find("attribute may hold at most 65536") != std::string::npos);

  // Below the token guard, the per-attribute check names the attribute.
  write_gzip(package, "<ExportPackage ServerID=\"" + std::string(100000, 'A') + "\"></ExportPackage>");
  CHECK(refusal_of(package).why.find(
            "attribute \"ServerID\" is 100000 bytes, larger than the 65536-byte limit") != std::string::npos);
}

TEST_CASE("long text in elements the reader ignores streams through without tripping the limits") {
  TestDir dir("long text");
  auto updates = sample_updates();
  std::string document = package_document(updates, true);
  auto at = document.find("<Updates>");
  document.insert(at, "<EulaText>" + std::string(3 << 20, 'x') + "</EulaText>");
  fs::path package = dir / "long-text.xml.gz";
  write_gzip(package, document);
  Collected got;
  REQUIRE(read_export_package(package, got.visitor()).has_value());
  check_sample_content(got);
}

TEST_CASE("a File digest that is not a 20-byte SHA-1 is refused and the update is named") {
  TestDir dir("wrong digest length");
  auto updates = sample_updates();
  std::string document = package_document(updates, true);
  // The update's own reference in package.xml, inside <Update>: a 16-byte (MD5-sized) digest.
  std::string good = "<File Digest=\"" + b64(updates[1].files[1].sha1) + "\"/></Files><Categories>";
  auto at = document.find(good);
  REQUIRE(at != std::string::npos);
  document.replace(at, good.size(), "<File Digest=\"" + b64(fake_bytes(16, 1)) + "\"/></Files><Categories>");
  fs::path package = dir / "digest.xml.gz";
  write_gzip(package, document);
  auto error = refusal_of(package);
  CHECK(error.why.find("update " + updates[1].id + ": File Digest \"" + b64(fake_bytes(16, 1)) +
                       "\" decodes to 16 bytes, not a 20-byte SHA-1") != std::string::npos);
  CHECK(error.why.starts_with("package XML line "));

  // At package level the position names it.
  document = package_document(updates, true);
  at = document.find("<File Digest=\"");
  document.insert(at, "<File Digest=\"" + b64(fake_bytes(32, 9)) + "\" Name=\"x.cab\"/>");
  write_gzip(package, document);
  CHECK(refusal_of(package).why.find("package-level File Digest") != std::string::npos);
  CHECK(refusal_of(package).why.find("decodes to 32 bytes, not a 20-byte SHA-1") != std::string::npos);

  // And a digest that is not base64 at all.
  document = package_document(updates, true);
  at = document.find("<File Digest=\"");
  document.insert(at, "<File Digest=\"not*base64\"/>");
  write_gzip(package, document);
  CHECK(refusal_of(package).why.find("File Digest \"not*base64\" is not base64") != std::string::npos);
}

TEST_CASE("a metadata.txt line whose length field lies is refused with its line number") {
  TestDir dir("lying length");
  auto updates = sample_updates();
  std::string xml = update_xml(updates[1]);
  std::string metadata =
      metadata_line(updates[0]) +
      fmt::format("{},{:08x},{:08x},{}\r\n", updates[1].id, updates[1].revision, xml.size() + 7, xml) +
      metadata_line(updates[2]);
  fs::path package = make_cab(
      dir, "export.cab", {{"package.xml", package_document(updates, false)}, {"metadata.txt", metadata}});
  auto error = refusal_of(package);
  CHECK(error.why == "metadata.txt line 2: the length field says " + std::to_string(xml.size() + 7) +
                         " but the update XML of " + updates[1].id + " has " + std::to_string(xml.size()) +
                         " bytes: the record was cut or altered");
}

TEST_CASE("metadata.txt records that are malformed or disagree with their XML are refused") {
  TestDir dir("bad records");
  auto updates = sample_updates();
  auto error_for = [&](const std::string& metadata) {
    fs::path package = make_cab(
        dir, "export.cab", {{"package.xml", package_document(updates, false)}, {"metadata.txt", metadata}});
    return refusal_of(package).why;
  };
  std::string xml = update_xml(updates[0]);
  CHECK(error_for("just some text\r\n") ==
        "metadata.txt line 1: is not \"<update id>,<revision>,<length>,<update XML>\"");
  CHECK(error_for(fmt::format("not-a-guid,{:08x},{:08x},{}\r\n", 201, xml.size(), xml)) ==
        "metadata.txt line 1: the update id \"not-a-guid\" is not a GUID");
  CHECK(error_for(fmt::format("{},c9,{:08x},{}\r\n", updates[0].id, xml.size(), xml)) ==
        "metadata.txt line 1: the revision \"c9\" is not 8 hexadecimal digits");
  CHECK(error_for(fmt::format("{},{:08x},{:08x},{}\r\n", guid(0xDD), 201, xml.size(), xml))
            .find("the record is for update " + guid(0xDD) + " revision 201 but its XML describes " +
                  updates[0].id + " revision 201") != std::string::npos);
  // Microsoft's exporter counts UTF-16 code units: a non-ASCII title still passes either way.
  FakeUpdate accented = updates[0];
  accented.title = "Mise \xC3\xA0 jour \xF0\x9F\x98\x80";
  std::string accented_xml = update_xml(accented);
  std::size_t utf16 = accented_xml.size() - 1 - 2;  // "à": 2 bytes -> 1 unit; emoji: 4 bytes -> 2 units
  fs::path package = make_cab(
      dir, "utf16.cab",
      {{"package.xml", package_document(updates, false)},
       {"metadata.txt", fmt::format("{},{:08x},{:08x},{}\r\n", accented.id, 201, utf16, accented_xml)}});
  Collected got;
  REQUIRE(read_export_package(package, got.visitor()).has_value());
  CHECK(got.merged_updates().at(accented.id).title == accented.title);
}

TEST_CASE("an update whose embedded metadata describes another update is refused") {
  TestDir dir("mismatched embed");
  auto updates = sample_updates();
  std::string document = package_document(updates, true);
  std::string own = "<upd:UpdateIdentity UpdateID=\"" + updates[0].id + "\"";
  auto at = document.find(own);
  REQUIRE(at != std::string::npos);
  document.replace(at, own.size(), "<upd:UpdateIdentity UpdateID=\"" + guid(0xEE) + "\"");
  fs::path package = dir / "embed.xml.gz";
  write_gzip(package, document);
  CHECK(refusal_of(package).why.find("update " + updates[0].id + " carries the metadata of another update, " +
                                     guid(0xEE) + ": refused") != std::string::npos);
}

TEST_CASE("a package over the uncompressed limit is refused as a decompression bomb") {
  TestDir dir("decompression bomb");
  std::string document = package_document(sample_updates(), true);
  document.insert(document.find("<Files>"), std::string(8 << 20, ' '));
  fs::path package = dir / "bomb.xml.gz";
  write_gzip(package, document, 9);
  CHECK(fs::file_size(package) < (64 << 10));
  ReaderLimits limits;
  limits.max_uncompressed_bytes = 4 << 20;
  CHECK(refusal_of(package, limits).why ==
        "decompresses to more than 4194304 bytes, the reader's limit: refused as a decompression bomb");
  REQUIRE(read_export_package(package, {}).has_value());

  fs::path cab = make_cab(dir, sample_updates());
  limits.max_uncompressed_bytes = 1000;
  CHECK(refusal_of(cab, limits).why.find("refused as a decompression bomb") != std::string::npos);
}

TEST_CASE("an update referencing more files than the limit is refused") {
  TestDir dir("too many files");
  fs::path package = dir / "export.xml.gz";
  write_gzip(package, package_document(sample_updates(), true));
  ReaderLimits limits;
  limits.max_update_files = 1;
  CHECK(refusal_of(package, limits)
            .why.find("update " + sample_updates()[0].id +
                      ": references more than 1 files, beyond the reader's limit: refused") !=
        std::string::npos);
}

TEST_CASE("a metadata.txt line over the line limit is refused before it is buffered") {
  TestDir dir("long line");
  fs::path package = make_cab(dir, sample_updates());
  ReaderLimits limits;
  limits.max_line_bytes = 100;
  CHECK(refusal_of(package, limits).why ==
        "metadata.txt line 1 is longer than 100 bytes, beyond the reader's limit: refused");
}

TEST_CASE("a package that ends inside its XML document is refused, not read as complete") {
  TestDir dir("cut document");
  std::string document = package_document(sample_updates(), true);
  fs::path package = dir / "cut.xml.gz";
  write_gzip(package, document.substr(0, document.size() / 2));
  auto error = refusal_of(package);
  CHECK(error.why.find("ends before its XML document does") != std::string::npos);

  write_gzip(package, "<Other/>");
  CHECK(refusal_of(package).why == "package XML holds no ExportPackage element: it is not a wsusutil export");
}

TEST_CASE("a CAB without metadata.txt is refused as an incomplete export") {
  TestDir dir("incomplete cab");
  fs::path package =
      make_cab(dir, "export.cab", {{"package.xml", package_document(sample_updates(), false)}});
  CHECK(refusal_of(package).why == "is an incomplete export: the cabinet holds no metadata.txt");
  CHECK_FALSE(check_export_package(package).has_value());
}

TEST_CASE("an exception thrown by the visitor propagates out of the reader") {
  TestDir dir("visitor throws");
  fs::path gz = dir / "export.xml.gz";
  write_gzip(gz, package_document(sample_updates(), true));
  PackageVisitor visitor;
  visitor.on_update = [](const PackageUpdate&) { throw std::runtime_error("consumer gave up"); };
  CHECK_THROWS_WITH(read_export_package(gz, visitor), "consumer gave up");
  fs::path cab = make_cab(dir, sample_updates());
  CHECK_THROWS_WITH(read_export_package(cab, visitor), "consumer gave up");
}

TEST_CASE("random damage to a package never crashes or hangs the reader") {
  TestDir dir("random damage");
  std::mt19937 random(20261120);
  std::string document = package_document(sample_updates(), true);
  fs::path package = dir / "damaged.xml.gz";
  std::uniform_int_distribution<int> byte(0, 255);
  int refused = 0;
  for (int round = 0; round < 300; ++round) {
    std::string damaged = document;
    std::uniform_int_distribution<std::size_t> position(0, damaged.size() - 1);
    switch (round % 3) {
      case 0:
        for (int i = 0; i < 4; ++i) damaged[position(random)] = static_cast<char>(byte(random));
        break;
      case 1:
        damaged.resize(position(random));
        break;
      default: {
        auto from = position(random);
        damaged.insert(position(random), damaged.substr(from, 200));
      }
    }
    write_gzip(package, damaged);
    if (round % 2 == 1) {  // damage the compressed bytes too
      std::string bytes = test::read_file(package);
      std::uniform_int_distribution<std::size_t> at(10, bytes.size() - 1);
      bytes[at(random)] = static_cast<char>(byte(random));
      test::write_file(package, bytes);
    }
    auto result = read_export_package(package, {});
    if (!result) {
      ++refused;
      // Damaged XML, or damage that left nothing readable (say, every Update renamed).
      CHECK((result.error().code == ExitCode::kWsusutil ||
             result.error().code == ExitCode::kUnreadablePackage));
      CHECK(result.error().what == package.string());
    }
  }
  CHECK(refused > 150);
}

TEST_CASE("random damage to a cabinet or its metadata.txt never crashes the reader") {
  TestDir dir("random cab damage");
  std::mt19937 random(4242);
  std::uniform_int_distribution<int> byte(0, 255);
  auto updates = sample_updates();
  const std::string cab_bytes = test::read_file(make_cab(dir, updates));
  fs::path package = dir / "damaged.cab";
  int refused = 0;
  for (int round = 0; round < 200; ++round) {
    std::string damaged = cab_bytes;
    std::uniform_int_distribution<std::size_t> position(0, damaged.size() - 1);
    for (int i = 0; i < 1 + round % 4; ++i) damaged[position(random)] = static_cast<char>(byte(random));
    test::write_file(package, damaged);
    auto result = read_export_package(package, {});
    if (!result) {
      ++refused;
      CHECK(result.error().what == package.string());
    }
  }
  CHECK(refused > 100);
  // Damage inside metadata.txt itself, packed into a sound cabinet.
  const std::string metadata = metadata_txt(updates);
  const std::string document = package_document(updates, false);
  int metadata_refused = 0;
  for (int round = 0; round < 30; ++round) {
    std::string damaged = metadata;
    std::uniform_int_distribution<std::size_t> position(0, damaged.size() - 1);
    if (round % 2 == 0) {
      for (int i = 0; i < 3; ++i) damaged[position(random)] = static_cast<char>(byte(random));
    } else {
      damaged.resize(position(random));
    }
    auto result = read_export_package(
        make_cab(dir, "metadata-damage.cab", {{"package.xml", document}, {"metadata.txt", damaged}}), {});
    if (!result) {
      ++metadata_refused;
      CHECK((result.error().code == ExitCode::kWsusutil ||
             result.error().code == ExitCode::kUnreadablePackage));
    }
  }
  // A loop that refused nothing would have shown nothing: most damaged or cut metadata.txt is refused.
  CHECK(metadata_refused >= 15);
}

TEST_CASE("a package of 130,000 updates and over 100 MiB of XML is streamed with bounded memory") {
  TestDir dir("large package");
  fs::path package = dir / "large.xml.gz";
  constexpr std::uint64_t kUpdates = 130'000;
  {
    gzFile out = gzopen(package.string().c_str(), "wb1");
    REQUIRE(out != nullptr);
    auto put = [&](const std::string& text) {
      REQUIRE(gzwrite(out, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
    };
    put("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ExportPackage ServerID=\"" + kServerId +
        "\" CreationTime=\"2026-11-20T08:00:00Z\"><Files></Files><Updates>\r\n");
    std::string chunk;
    for (std::uint64_t i = 0; i < kUpdates; ++i) {
      // The lean shape of a real record: identity, KB, English title, one file with its SHA-256.
      std::string id = guid(i);
      std::string sha1 = b64(fake_bytes(20, i));
      fmt::format_to(
          std::back_inserter(chunk),
          "<Update UpdateId=\"{0}\" RevisionNumber=\"{1}\"><Files><File Digest=\"{2}\"/></Files>"
          "<upd:Update xmlns:upd=\"{3}\"><upd:UpdateIdentity UpdateID=\"{0}\" RevisionNumber=\"{1}\"/>"
          "<upd:Properties><upd:KBArticleID>{4}</upd:KBArticleID></upd:Properties>"
          "<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language>"
          "<upd:Title>Update {5} for Windows</upd:Title></upd:LocalizedProperties>"
          "</upd:LocalizedPropertiesCollection><upd:Files><upd:File Digest=\"{2}\" "
          "FileName=\"windows10.0-kb{4}-x64.msu\" Size=\"{6}\"><upd:AdditionalDigest Algorithm=\"SHA256\">"
          "{7}</upd:AdditionalDigest></upd:File></upd:Files></upd:Update></Update>\r\n",
          id, i % 500, sha1, kUpdNamespace, 4000000 + i, i, 100000 + i, b64(fake_bytes(32, i)));
      if (chunk.size() > (1 << 20)) {
        put(chunk);
        chunk.clear();
      }
    }
    put(chunk + "</Updates></ExportPackage>\r\n");
    REQUIRE(gzclose(out) == Z_OK);
  }

#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
  reset_peak_rss();
  std::uint64_t before = peak_rss_kib();
#endif
  std::uint64_t updates = 0;
  std::uint64_t detailed_files = 0;
  bool sample_ok = false;
  PackageVisitor visitor;
  visitor.on_file = [&](const PackageFile& f) { detailed_files += f.sha256_hex && f.size ? 1 : 0; };
  visitor.on_update = [&](const PackageUpdate& u) {
    if (updates == 123'456) {
      sample_ok = u.update_id == guid(123'456) && u.revision == 123'456 % 500 &&
                  u.title == "Update 123456 for Windows" && u.kb_article == "4123456" &&
                  u.file_sha1_hex == std::vector<std::string>{hex_upper(fake_bytes(20, 123'456))};
    }
    ++updates;
  };
  auto summary = read_export_package(package, visitor);
  REQUIRE(summary.has_value());
  CHECK(summary->update_count == kUpdates);
  CHECK(updates == kUpdates);
  CHECK(detailed_files == kUpdates);
  CHECK(sample_ok);
  CHECK(summary->uncompressed_bytes > (100ULL << 20));
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
  // The reader holds a few blocks and one record, whatever the package's size.
  std::uint64_t after = peak_rss_kib();
  INFO("peak RSS before " << before << " KiB, after " << after << " KiB, for " << summary->uncompressed_bytes
                          << " uncompressed bytes");
  CHECK(after - before < 16 * 1024);
#endif
}
