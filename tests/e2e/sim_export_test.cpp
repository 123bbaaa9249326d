// wsusutil-sim export: packages in both public forms, read back with libarchive, zlib and gcab, and
// every failure the real tool is known for.
#include <boost/filesystem/operations.hpp>

#include <chrono>
#include <regex>

#include "common/encoding.h"
#include "tests/e2e/sim_inspection.h"
#include "tests/support/catch.h"

using namespace wsa::test;
using namespace wsa::test::sim;

namespace {

struct CatalogFacts {
  std::set<std::string> sha1s;
  std::set<std::string> update_ids;
  std::map<std::string, Json> updates;  // by id
};

CatalogFacts facts_of(const Json& catalog) {
  CatalogFacts facts;
  for (const auto& update : catalog.at("updates")) {
    facts.update_ids.insert(update.at("update_id").get<std::string>());
    facts.updates[update.at("update_id")] = update;
    for (const auto& file : update.at("files")) facts.sha1s.insert(file.at("sha1").get<std::string>());
  }
  return facts;
}

// The `<Files>` section of a package document (the list of every content file).
std::string files_section(const std::string& document) {
  const auto begin = document.find("<Files>");
  const auto end = document.find("</Files>", begin);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  return document.substr(begin, end - begin);
}

std::set<std::string> sha1s_listed(const std::string& files) {
  std::set<std::string> sha1s;
  for (const auto& digest : attribute_values(files, "<File Digest="))
    sha1s.insert(base64_to_hex_upper(digest));
  return sha1s;
}

std::set<std::string> update_ids_listed(const std::string& document) {
  auto ids = attribute_values(document, "<Update UpdateId=");
  return {ids.begin(), ids.end()};
}

std::string base64_of_hex(const std::string& hex) {
  return wsa::to_base64(wsa::from_hex(hex).value());
}

// Exports with the catalog given as an option; requires success.
void export_ok(const TestDir& dir, const std::string& package, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"export", (dir / package).string(), (dir / (package + ".log")).string(),
                                   "--catalog", (dir / "catalog.json").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto result = run_sim(args, dir.path());
  INFO(read_file(dir / (package + ".log")) + result.err);
  REQUIRE(result.exit_code == 0);
}

std::vector<std::string> error_lines(const std::string& log) {
  std::vector<std::string> errors;
  for (const auto& line : lines_of(log)) {
    if (line.find(" UTC\tError\t") != std::string::npos) errors.push_back(line);
  }
  return errors;
}

}  // namespace

TEST_CASE(
    "an exported CAB holds metadata.txt and package.xml listing exactly the catalog's files and updates") {
  TestDir dir("sim-export-cab");
  generate(dir.path(), {"--seed", "101"});
  const Json catalog = read_json(dir / "catalog.json");
  const CatalogFacts facts = facts_of(catalog);
  export_ok(dir, "export.cab");

  const auto entries = cab_entries(dir / "export.cab");
  REQUIRE(entries.size() == 2);
  REQUIRE(entries.count("package.xml") == 1);
  REQUIRE(entries.count("metadata.txt") == 1);

  const std::string& document = entries.at("package.xml");
  CHECK(document.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0) == 0);
  CHECK(document.find(
            "<ExportPackage ServerID=\"" + catalog.at("server_id").get<std::string>() +
            "\" CreationTime=\"2026-11-20T08:00:00Z\" FormatVersion=\"1.0\" ProtocolVersion=\"1.20\">") !=
        std::string::npos);
  CHECK(document.find("<Language Id=\"1033\" ShortName=\"en\" LongName=\"English\" Enabled=\"1\"/>") !=
        std::string::npos);
  const std::string files = files_section(document);
  CHECK(count_of(files, "<File Digest=") == facts.sha1s.size());
  CHECK(sha1s_listed(files) == facts.sha1s);
  CHECK(count_of(files, " MUUrl=\"http://download.windowsupdate.com/") == facts.sha1s.size());
  CHECK(update_ids_listed(document) == facts.update_ids);
  CHECK(count_of(document, "<Update UpdateId=") == facts.update_ids.size());

  // metadata.txt: one CRLF record per update, "<guid>,<rev %08x>,<len %08x>,<xml>".
  const std::string& metadata = entries.at("metadata.txt");
  CHECK(count_of(metadata, "\r\n") == facts.update_ids.size());
  std::set<std::string> recorded;
  for (const auto& line : lines_of(metadata)) {
    const auto c1 = line.find(',');
    const auto c2 = line.find(',', c1 + 1);
    const auto c3 = line.find(',', c2 + 1);
    const std::string id = line.substr(0, c1);
    const std::string revision = line.substr(c1 + 1, c2 - c1 - 1);
    const std::string length = line.substr(c2 + 1, c3 - c2 - 1);
    const std::string xml = line.substr(c3 + 1);
    REQUIRE(facts.updates.count(id) == 1);
    const Json& update = facts.updates.at(id);
    recorded.insert(id);
    CHECK(revision.size() == 8);
    CHECK(std::stoul(revision, nullptr, 16) == update.at("revision").get<unsigned long>());
    CHECK(length.size() == 8);
    CHECK(std::stoul(length, nullptr, 16) == xml.size());
    CHECK(xml.rfind("<upd:Update xmlns:upd=\"http://schemas.microsoft.com/msus/2002/12/Update\">", 0) == 0);
    CHECK(xml.find("<upd:UpdateIdentity UpdateID=\"" + id + "\" RevisionNumber=\"" +
                   std::to_string(update.at("revision").get<int>()) + "\"/>") != std::string::npos);
    CHECK(xml.find("<upd:KBArticleID>" + update.at("kb").get<std::string>() + "</upd:KBArticleID>") !=
          std::string::npos);
    CHECK(xml.find("<upd:Language>en</upd:Language><upd:Title>" + update.at("title").get<std::string>() +
                   "</upd:Title>") != std::string::npos);
    for (const auto& file : update.at("files")) {
      CHECK(xml.find("<upd:File Digest=\"" + base64_of_hex(file.at("sha1")) +
                     "\" DigestAlgorithm=\"SHA1\" FileName=\"" + file.at("name").get<std::string>() +
                     "\" Size=\"" + std::to_string(file.at("size").get<long>()) + "\"") != std::string::npos);
      CHECK(xml.find("<upd:AdditionalDigest Algorithm=\"SHA256\">" + base64_of_hex(file.at("sha256")) +
                     "</upd:AdditionalDigest>") != std::string::npos);
    }
    CHECK(count_of(xml, "<upd:File ") == update.at("files").size());
  }
  CHECK(recorded == facts.update_ids);
}

TEST_CASE("gcab lists and extracts a many-block MSZIP CAB with the same bytes libarchive reads") {
  TestDir dir("sim-export-gcab");
  // 400 updates make metadata.txt several hundred KiB: many 32 KiB blocks, each primed with the last.
  generate(dir.path(), {"--seed", "102", "--updates", "400", "--max-size", "4K"});
  export_ok(dir, "export.cab");
  const auto entries = cab_entries(dir / "export.cab");
  REQUIRE(entries.at("metadata.txt").size() > 10 * 32768);
  CHECK(count_of(entries.at("metadata.txt"), "\r\n") == 400);

  const auto gcab = find_program("gcab");
  if (!gcab)
    skip_test(
        "gcab is not installed (Debian package gcab; none for Windows): the CAB was checked "
        "with libarchive only");
  auto listed = run(*gcab, {"-t", (dir / "export.cab").string()}, dir.path());
  CHECK(listed.exit_code == 0);
  CHECK(listed.out == "metadata.txt\npackage.xml\n");
  boost::filesystem::create_directories(dir / "gcab-out");
  auto extracted =
      run(*gcab, {"-x", "-C", (dir / "gcab-out").string(), (dir / "export.cab").string()}, dir.path());
  INFO(extracted.err);
  CHECK(extracted.exit_code == 0);
  CHECK(read_file(dir / "gcab-out/metadata.txt") == entries.at("metadata.txt"));
  CHECK(read_file(dir / "gcab-out/package.xml") == entries.at("package.xml"));
}

TEST_CASE("every CFDATA block carries the MS-CAB checksum, which libarchive and gcab verify") {
  TestDir dir("sim-export-cab-checksum");
  generate(dir.path(), {"--seed", "106", "--updates", "120", "--max-size", "4K"});
  export_ok(dir, "export.cab");
  std::string cab = read_file(dir / "export.cab");
  auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(cab[at]) |
                                    static_cast<unsigned char>(cab[at + 1]) << 8);
  };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  // CFHEADER (36 bytes) then the one CFFOLDER: coffCabStart, cCFData, typeCompress (1 = MSZIP).
  REQUIRE(cab.compare(0, 4, "MSCF") == 0);
  CHECK(u32(8) == cab.size());
  const std::size_t first_block = u32(36);
  const std::size_t blocks = u16(40);
  CHECK(u16(42) == 1);
  REQUIRE(blocks >= 3);
  std::size_t at = first_block;
  std::size_t third_block = 0;
  for (std::size_t i = 0; i < blocks; ++i) {
    CHECK(u32(at) != 0);                       // a checksum is present
    CHECK(cab.compare(at + 8, 2, "CK") == 0);  // the MSZIP signature
    if (i + 1 < blocks) CHECK(u16(at + 6) == 32768);
    if (i == 2) third_block = at;
    at += 8 + u16(at + 4);
  }
  CHECK(at == cab.size());

  cab[third_block] = static_cast<char>(cab[third_block] ^ 0x01);
  write_file(dir / "bad-sum.cab", cab);
  try {
    cab_entries(dir / "bad-sum.cab");
    FAIL("libarchive read a cabinet with a wrong block checksum");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("Checksum error CFDATA[2]") != std::string::npos);
  }
  if (const auto gcab = find_program("gcab")) {
    boost::filesystem::create_directories(dir / "gcab-out");
    auto extracted =
        run(*gcab, {"-x", "-C", (dir / "gcab-out").string(), (dir / "bad-sum.cab").string()}, dir.path());
    CHECK(extracted.exit_code != 0);
    CHECK(extracted.err.find("incorrect checksum") != std::string::npos);
  }
}

TEST_CASE("a CAB written without compression holds the same bytes as the MSZIP one") {
  TestDir dir("sim-export-cab-stored");
  generate(dir.path(), {"--seed", "103", "--updates", "60", "--max-size", "4K"});
  export_ok(dir, "mszip.cab");
  export_ok(dir, "stored.cab", {"--cab-compression", "none"});
  CHECK(cab_entries(dir / "stored.cab") == cab_entries(dir / "mszip.cab"));
  CHECK(boost::filesystem::file_size(dir / "stored.cab") > boost::filesystem::file_size(dir / "mszip.cab"));
}

TEST_CASE("an exported .xml.gz is one ExportPackage document listing the catalog's files and full updates") {
  TestDir dir("sim-export-xmlgz");
  generate(dir.path(), {"--seed", "104"});
  const Json catalog = read_json(dir / "catalog.json");
  const CatalogFacts facts = facts_of(catalog);
  export_ok(dir, "export.xml.gz");
  export_ok(dir, "export.cab");

  const auto document = gunzip(dir / "export.xml.gz");
  REQUIRE(document.has_value());
  CHECK(document->rfind(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ExportPackage ServerID=\"" +
                catalog.at("server_id").get<std::string>() +
                "\" CreationTime=\"2026-11-20T08:00:00Z\" FormatVersion=\"1.0\" ProtocolVersion=\"1.20\">",
            0) == 0);
  CHECK(count_of(*document, "<ExportPackage ") == 1);
  CHECK(count_of(*document, "</ExportPackage>") == 1);
  const std::string files = files_section(*document);
  CHECK(count_of(files, "<File Digest=") == facts.sha1s.size());
  CHECK(sha1s_listed(files) == facts.sha1s);
  CHECK(update_ids_listed(*document) == facts.update_ids);
  CHECK(count_of(*document, "<upd:Update xmlns:upd=\"http://schemas.microsoft.com/msus/2002/12/Update\">") ==
        facts.update_ids.size());

  // Each <Update> lists its files and classification, and embeds exactly its metadata.txt XML.
  const std::string metadata = cab_entries(dir / "export.cab").at("metadata.txt");
  for (const auto& line : lines_of(metadata)) {
    const std::string id = line.substr(0, 36);
    const Json& update = facts.updates.at(id);
    const auto begin = document->find("<Update UpdateId=\"" + id + "\" RevisionNumber=\"" +
                                      std::to_string(update.at("revision").get<int>()) + "\">");
    REQUIRE(begin != std::string::npos);
    const std::string entry = document->substr(begin, document->find("</Update>\r\n", begin) - begin);
    std::string own_files = "<Files>";
    for (const auto& file : update.at("files"))
      own_files += "<File Digest=\"" + base64_of_hex(file.at("sha1")) + "\"/>";
    CHECK(entry.find(own_files + "</Files>") != std::string::npos);
    CHECK(entry.find("<Classifications><Classification Value=\"" +
                     update.at("classification_id").get<std::string>() + "\"/></Classifications>") !=
          std::string::npos);
    const std::string xml = line.substr(line.find(',', line.find(',', 37) + 1) + 1);
    CHECK(entry.find(xml) != std::string::npos);
  }
}

TEST_CASE(
    "a successful export logs in the WSUS log shape and ends with an Info line counting updates and files") {
  TestDir dir("sim-export-log");
  generate(dir.path(), {"--seed", "105"});
  export_ok(dir, "export.xml.gz");
  const std::string log = read_file(dir / "export.xml.gz.log");
  const auto lines = lines_of(log);
  REQUIRE(lines.size() == 3);
  const std::regex shape(
      R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC\t(Info|Warning|Error)\t\w+\.\d+\t\w+\.\w+\t.+)");
  for (const auto& line : lines) CHECK(std::regex_match(line, shape));
  CHECK(error_lines(log).empty());
  CHECK(lines.back().find(
            "\tInfo\tWsusUtil.1\tExportPackage.Export\tExport completed: exported 20 updates and 30 "
            "files to " +
            (dir / "export.xml.gz").string()) != std::string::npos);
}

TEST_CASE("the catalog comes from WSUSUTIL_SIM_CATALOG when wsus-airgap runs 'export <package> <log>'") {
  TestDir dir("sim-export-env-catalog");
  generate(dir.path(), {"--seed", "106"});
  ScopedEnv catalog("WSUSUTIL_SIM_CATALOG", (dir / "catalog.json").string());
  auto result = run_sim({"export", (dir / "export.cab").string(), (dir / "export.log").string()}, dir.path());
  CHECK(result.exit_code == 0);
  CHECK(cab_entries(dir / "export.cab").size() == 2);
}

TEST_CASE("export without a catalog exits 1 with an Error line naming WSUSUTIL_SIM_CATALOG") {
  TestDir dir("sim-export-no-catalog");
  ScopedEnv catalog("WSUSUTIL_SIM_CATALOG", std::nullopt);
  auto result = run_sim({"export", (dir / "export.cab").string(), (dir / "export.log").string()}, dir.path());
  CHECK(result.exit_code == 1);
  const auto errors = error_lines(read_file(dir / "export.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("Export failed: no update catalog: set WSUSUTIL_SIM_CATALOG or pass --catalog") !=
        std::string::npos);
  CHECK_FALSE(boost::filesystem::exists(dir / "export.cab"));
}

TEST_CASE("export to a name that is neither .cab nor .gz exits 1 with an Error line") {
  TestDir dir("sim-export-bad-extension");
  generate(dir.path(), {"--seed", "107", "--updates", "2"});
  auto result = run_sim({"export", (dir / "export.zip").string(), (dir / "export.log").string(), "--catalog",
                         (dir / "catalog.json").string()},
                        dir.path());
  CHECK(result.exit_code == 1);
  const auto errors = error_lines(read_file(dir / "export.log"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("unknown package type (expected .cab or .xml.gz)") != std::string::npos);
}

TEST_CASE("WSUSUTIL_SIM_FAIL=exit makes export exit 1 with an Error line and no package") {
  TestDir dir("sim-export-fail-exit");
  generate(dir.path(), {"--seed", "108"});
  ScopedEnv fail("WSUSUTIL_SIM_FAIL", "exit");
  for (const std::string package : {"export.cab", "export.xml.gz"}) {
    auto result = run_sim({"export", (dir / package).string(), (dir / (package + ".log")).string(),
                           "--catalog", (dir / "catalog.json").string()},
                          dir.path());
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(read_file(dir / (package + ".log")));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("Export failed: the simulator was asked to fail (WSUSUTIL_SIM_FAIL=exit)") !=
          std::string::npos);
    CHECK_FALSE(boost::filesystem::exists(dir / package));
  }
}

TEST_CASE("an option overrides the environment: --fail none wins over WSUSUTIL_SIM_FAIL=exit") {
  TestDir dir("sim-export-option-wins");
  generate(dir.path(), {"--seed", "109", "--updates", "3"});
  ScopedEnv fail("WSUSUTIL_SIM_FAIL", "exit");
  export_ok(dir, "export.cab", {"--fail", "none"});
  CHECK(cab_entries(dir / "export.cab").size() == 2);
}

TEST_CASE("export --fail zero-byte leaves an empty package and exits 0, as in KB2819484") {
  TestDir dir("sim-export-zero-byte");
  generate(dir.path(), {"--seed", "110"});
  for (const std::string package : {"export.cab", "export.xml.gz"}) {
    export_ok(dir, package, {"--fail", "zero-byte"});
    CHECK(boost::filesystem::file_size(dir / package) == 0);
  }
}

TEST_CASE("export --fail truncated leaves the first half of the good package and exits 0") {
  TestDir dir("sim-export-truncated");
  generate(dir.path(), {"--seed", "111"});
  for (const std::string form : {".cab", ".xml.gz"}) {
    export_ok(dir, "good" + form);
    export_ok(dir, "cut" + form, {"--fail", "truncated"});
    const std::string good = read_file(dir / ("good" + form));
    const std::string cut = read_file(dir / ("cut" + form));
    CHECK(cut.size() == good.size() / 2);
    CHECK(good.compare(0, cut.size(), cut) == 0);
  }
  CHECK_THROWS(cab_entries(dir / "cut.cab"));
  CHECK_FALSE(gunzip(dir / "cut.xml.gz").has_value());
}

TEST_CASE("export --fail corrupt flips the 8 bytes in the middle of the good package and exits 0") {
  TestDir dir("sim-export-corrupt");
  generate(dir.path(), {"--seed", "112"});
  for (const std::string form : {".cab", ".xml.gz"}) {
    export_ok(dir, "good" + form);
    export_ok(dir, "bad" + form, {"--fail", "corrupt"});
    const std::string good = read_file(dir / ("good" + form));
    const std::string bad = read_file(dir / ("bad" + form));
    REQUIRE(bad.size() == good.size());
    const std::size_t middle = good.size() / 2;
    for (std::size_t i = 0; i < good.size(); ++i) {
      const bool flipped = i >= middle && i < middle + 8;
      if (flipped) {
        CHECK((static_cast<unsigned char>(bad[i]) ^ static_cast<unsigned char>(good[i])) == 0xFF);
      } else if (bad[i] != good[i]) {
        FAIL("byte " << i << " changed outside the middle");
      }
    }
  }
  CHECK_FALSE(gunzip(dir / "bad.xml.gz").has_value());
}

TEST_CASE("WSUSUTIL_SIM_DELAY_MS makes the run last at least that long") {
  TestDir dir("sim-export-delay");
  generate(dir.path(), {"--seed", "113", "--updates", "2"});
  ScopedEnv delay("WSUSUTIL_SIM_DELAY_MS", "700");
  const auto start = std::chrono::steady_clock::now();
  export_ok(dir, "export.cab");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(700));
  CHECK(elapsed < std::chrono::seconds(60));
}

TEST_CASE("an unknown failure mode is a usage error that exits 2") {
  TestDir dir("sim-export-bad-mode");
  auto result = run_sim({"export", (dir / "e.cab").string(), (dir / "e.log").string(), "--fail", "explode"},
                        dir.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("explode") != std::string::npos);
}
