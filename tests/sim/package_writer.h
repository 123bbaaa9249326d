#pragma once
// What `wsusutil export` writes: the package in one of its two public forms, from the simulator's
// catalog (layout: docs/export-package-notes.md, from the shared export-package.md).
//
// - CAB (`.cab`): a cabinet holding package.xml and metadata.txt, as WSUS and Microsoft's open-source
//   exporter write it.
// - gzip (`.xml.gz`, any `.gz`): one XML document, the convention shared with the package reader:
//     <ExportPackage ServerID CreationTime FormatVersion="1.0" ProtocolVersion="1.20">
//       <Languages>..</Languages> <Files><File Digest MUUrl Name/>..</Files>
//       <Updates><Update UpdateId RevisionNumber>
//         <Files><File Digest/></Files> <Categories/> <Classifications/>
//         <upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update">..</upd:Update>
//       </Update></Updates>
//     </ExportPackage>
//   where the embedded upd:Update is byte for byte the XML of the update's metadata.txt record.

#include <boost/filesystem/path.hpp>

#include <optional>
#include <string>

#include "common/error.h"
#include "tests/sim/cab_writer.h"
#include "tests/sim/catalog.h"

namespace wsa::sim {

namespace fs = boost::filesystem;

enum class PackageForm { kCab, kXmlGz };

// The form a package path asks for: ".cab" -> CAB, ".gz" -> gzip XML; nullopt for anything else.
std::optional<PackageForm> package_form_for(const fs::path& package);

// The update's metadata XML (upd:Update with its namespace declaration), one line, no XML declaration.
std::string update_xml(const CatalogUpdate& update, const std::string& creation_time);

// One metadata.txt record: "<guid>,<revision %08x>,<xml bytes %08x>,<xml>\r\n".
std::string metadata_record(const CatalogUpdate& update, const std::string& creation_time);

// The Microsoft Update download URL a file would have come from (the package's MUUrl).
std::string mu_url(const CatalogFile& file, const std::string& creation_time);

// Writes the package at `package` atomically (temp file beside it, then rename).
Result<void> write_export_package(const Catalog& catalog, const fs::path& package, PackageForm form,
                                  CabCompression cab_compression = CabCompression::kMszip);

}  // namespace wsa::sim
