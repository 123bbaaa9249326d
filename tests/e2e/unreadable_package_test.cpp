// A metadata package the reader does not understand (an empty export, or update XML in a form it does
// not read) is refused with exit 8 by gaps, export and import alike: never "no gaps"
// (docs/export-package-forms.md).

#include <boost/filesystem/operations.hpp>

#include <zlib.h>

#include "common/digest.h"
#include "manifest/keys.h"
#include "manifest/transfer_manifest.h"
#include "manifest/trust.h"
#include "tests/support/catch.h"
#include "tests/support/scenario.h"

namespace {

using namespace wsa;
using namespace wsa::test;

void write_gzip(const fs::path& path, const std::string& contents) {
  gzFile out = gzopen(path.string().c_str(), "wb6");
  REQUIRE(out != nullptr);
  REQUIRE(gzwrite(out, contents.data(), static_cast<unsigned>(contents.size())) ==
          static_cast<int>(contents.size()));
  REQUIRE(gzclose(out) == Z_OK);
}

// An export with no update at all.
fs::path empty_package(const Scenario& scene) {
  fs::path package = scene.root() / "empty.xml.gz";
  write_gzip(package,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ExportPackage><updates/></ExportPackage>\n");
  return package;
}

// Updates whose XML sits in an element this reader does not know: the updates are read, no file is.
fs::path unreadable_form_package(const Scenario& scene) {
  fs::path package = scene.root() / "unknown-form.xml.gz";
  write_gzip(package,
             "<ExportPackage><updates><update UpdateId=\"0a1b2c3d-1111-4222-8333-000000000001\">"
             "<payload>&lt;upd:Update/&gt;</payload></update></updates></ExportPackage>\n");
  return package;
}

// `package`: the package's path as the message names it (or its file name, when it was copied first).
void check_refused(const RunResult& result, const std::string& package, const std::string& counts) {
  INFO(result.out);
  INFO(result.err);
  CHECK(result.exit_code == 8);
  CHECK(result.err.find(package + ": read " + counts +
                        " content files from it: an empty export, or a form of package this wsus-airgap "
                        "does not understand") != std::string::npos);
  CHECK(result.out.find("No gaps") == std::string::npos);
}

// Swaps the metadata package of a signed transfer package and signs the manifest again with the
// scenario's key: a package the exporter could not have made, but whose signature import accepts.
void replace_metadata(const Scenario& scene, const fs::path& folder, const fs::path& metadata) {
  auto manifest_text = read_file(folder / manifest::kManifestFileName);
  auto manifest = manifest::parse_manifest(manifest_text, "manifest.json");
  REQUIRE(manifest.has_value());
  REQUIRE(manifest->metadata.has_value());
  fs::copy_file(metadata, folder / manifest->metadata->name, fs::copy_options::overwrite_existing);
  manifest->metadata->size = fs::file_size(metadata);
  manifest->metadata->sha256_hex = sha256_hex(read_file(metadata));
  std::string text = manifest::serialize_manifest(*manifest);
  auto key = manifest::SigningKey::load(scene.key());
  REQUIRE(key.has_value());
  write_file(folder / manifest::kSignaturesFileName,
             manifest::serialize_signatures({{key->key_id(), key->sign(text)}}));
  write_file(folder / manifest::kManifestFileName, text);
}

// Content only (no wsusutil), so the import reaches its gap check whatever wsusutil makes of the package.
RunResult import_content_only(const Scenario& scene) {
  return scene.airgap({"import", "--media", scene.media().string(), "--content", scene.offline().string(),
                       "--trust", scene.pub().string(), "--state", scene.import_state().string(),
                       "--no-metadata-import"});
}

}  // namespace

TEST_CASE("gaps refuses an empty package and an unreadable-form package with exit 8, never 'no gaps'") {
  Scenario scene("unreadable-gaps", 4);
  auto empty = empty_package(scene);
  check_refused(scene.airgap({"gaps", "--content", scene.connected().string(), "--metadata", empty.string()}),
                empty.string(), "0 updates and 0");
  auto unknown = unreadable_form_package(scene);
  check_refused(scene.airgap({"gaps", "--content", scene.connected().string(), "--metadata", unknown.string(),
                              "--json"}),
                unknown.string(), "1 updates and 0");
}

TEST_CASE("export refuses an empty package and an unreadable-form package with exit 8") {
  for (bool empty : {true, false}) {
    Scenario scene(empty ? "unreadable-export-empty" : "unreadable-export-form", 4);
    fs::path package = empty ? empty_package(scene) : unreadable_form_package(scene);
    auto result = scene.airgap({"export", "--content", scene.connected().string(), "--media",
                                scene.media().string(), "--key", scene.key().string(), "--state",
                                scene.export_state().string(), "--metadata", package.string()});
    // The copy in the package folder is what the export reads.
    check_refused(result, "metadata.xml.gz", empty ? "0 updates and 0" : "1 updates and 0");
    CHECK_FALSE(fs::exists(scene.package(1) / manifest::kManifestFileName));
  }
}

TEST_CASE("import refuses a signed package whose metadata is empty or of an unreadable form with exit 8") {
  Scenario scene("unreadable-import", 4);
  REQUIRE(scene.export_package().exit_code == 0);
  auto empty = empty_package(scene);
  replace_metadata(scene, scene.package(1), empty);
  auto result = import_content_only(scene);
  check_refused(result, "metadata.xml.gz", "0 updates and 0");

  auto unknown = unreadable_form_package(scene);
  replace_metadata(scene, scene.package(1), unknown);
  auto again = import_content_only(scene);
  check_refused(again, "metadata.xml.gz", "1 updates and 0");
}
