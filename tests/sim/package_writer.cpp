#include "tests/sim/package_writer.h"

#include <fmt/format.h>
#include <zlib.h>

#include <memory>

#include "common/atomic_file.h"
#include "common/encoding.h"

namespace wsa::sim {

namespace {

constexpr const char* kUpdateNamespace = "http://schemas.microsoft.com/msus/2002/12/Update";
constexpr const char* kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n";

// Titles and names come from hand-written catalogs too: anything may need escaping.
std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string digest_base64(const std::string& hex) {
  return to_base64(from_hex(hex).value_or(std::string()));
}

// The seconds-precision form WSUS writes for CreationTime and Modified.
std::string whole_seconds(const std::string& iso_time) {
  if (iso_time.size() >= 19) return iso_time.substr(0, 19) + "Z";
  return iso_time;
}

void write_languages(const ByteSink& sink) {
  sink(
      "<Languages>\r\n<Language Id=\"1033\" ShortName=\"en\" LongName=\"English\" "
      "Enabled=\"1\"/>\r\n</Languages>\r\n");
}

void write_file_list(const Catalog& catalog, const ByteSink& sink) {
  sink("<Files>\r\n");
  for (const auto& file : catalog.distinct_files()) {
    sink(fmt::format("<File Digest=\"{}\" MUUrl=\"{}\" Name=\"{}\"/>\r\n", digest_base64(file.sha1),
                     escape_xml(mu_url(file, catalog.creation_time)), escape_xml(file.name)));
  }
  sink("</Files>\r\n");
}

// The package.xml <Update> element; `embedded` (the upd:Update XML) is added only in the gzip form.
void write_update_entry(const CatalogUpdate& update, const std::string& embedded, const ByteSink& sink) {
  std::string entry =
      fmt::format("<Update UpdateId=\"{}\" RevisionNumber=\"{}\">", update.update_id, update.revision);
  entry += "<Files>";
  for (const auto& file : update.files)
    entry += fmt::format("<File Digest=\"{}\"/>", digest_base64(file.sha1));
  entry += "</Files><Categories>";
  if (!update.product_id.empty()) entry += fmt::format("<Category Value=\"{}\"/>", update.product_id);
  entry += "</Categories><Classifications>";
  if (!update.classification_id.empty()) {
    entry += fmt::format("<Classification Value=\"{}\"/>", update.classification_id);
  }
  entry += "</Classifications>";
  entry += embedded;
  entry += "</Update>\r\n";
  sink(entry);
}

void write_package_document(const Catalog& catalog, bool embed_update_xml, const ByteSink& sink) {
  sink(kXmlDeclaration);
  sink(
      fmt::format("<ExportPackage ServerID=\"{}\" CreationTime=\"{}\" FormatVersion=\"1.0\" "
                  "ProtocolVersion=\"1.20\">\r\n",
                  catalog.server_id, escape_xml(whole_seconds(catalog.creation_time))));
  write_languages(sink);
  write_file_list(catalog, sink);
  sink("<Updates>\r\n");
  for (const auto& update : catalog.updates) {
    write_update_entry(update, embed_update_xml ? update_xml(update, catalog.creation_time) : std::string(),
                       sink);
  }
  sink("</Updates>\r\n</ExportPackage>\r\n");
}

void write_metadata_text(const Catalog& catalog, const ByteSink& sink) {
  for (const auto& update : catalog.updates) sink(metadata_record(update, catalog.creation_time));
}

struct DeflateEnd {
  void operator()(z_stream* stream) const {
    deflateEnd(stream);
    delete stream;
  }
};

// Streams the document through gzip into the temp file, so memory stays bounded for any catalog.
Result<void> write_gzip_package(const Catalog& catalog, const fs::path& package) {
  auto out = AtomicFile::create(package);
  if (!out) return std::unexpected(out.error());
  std::unique_ptr<z_stream, DeflateEnd> z(new z_stream{});
  // Window bits 15 + 16: a gzip header and trailer (CRC-32 and length), as .xml.gz readers expect.
  if (deflateInit2(z.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    z.reset();
    return make_error(ExitCode::kOperational, package.string(), "cannot initialise gzip compression");
  }
  std::string buffer(1 << 16, '\0');
  Result<void> status;
  auto pump = [&](std::string_view bytes, int flush) {
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z->avail_in = static_cast<uInt>(bytes.size());
    int rc = Z_OK;
    do {
      z->next_out = reinterpret_cast<Bytef*>(buffer.data());
      z->avail_out = static_cast<uInt>(buffer.size());
      rc = deflate(z.get(), flush);
      const std::size_t produced = buffer.size() - z->avail_out;
      if (status && produced != 0) status = out->write(buffer.data(), produced);
    } while (z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END && rc != Z_STREAM_ERROR));
  };
  write_package_document(catalog, /*embed_update_xml=*/true,
                         [&](std::string_view bytes) { pump(bytes, Z_NO_FLUSH); });
  pump({}, Z_FINISH);
  if (!status) return status;
  return out->commit();
}

}  // namespace

std::optional<PackageForm> package_form_for(const fs::path& package) {
  std::string extension = package.extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".cab") return PackageForm::kCab;
  if (extension == ".gz") return PackageForm::kXmlGz;
  return std::nullopt;
}

std::string update_xml(const CatalogUpdate& update, const std::string& creation_time) {
  std::string xml = fmt::format("<upd:Update xmlns:upd=\"{}\">", kUpdateNamespace);
  xml += fmt::format("<upd:UpdateIdentity UpdateID=\"{}\" RevisionNumber=\"{}\"/>", update.update_id,
                     update.revision);
  xml += "<upd:Properties UpdateType=\"Software\">";
  if (!update.kb.empty()) xml += "<upd:KBArticleID>" + update.kb + "</upd:KBArticleID>";
  xml += "</upd:Properties>";
  xml +=
      "<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</"
      "upd:Language><upd:Title>" +
      escape_xml(update.title) + "</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>";
  if (!update.files.empty()) {
    xml += "<upd:Files>";
    for (const auto& file : update.files) {
      xml += fmt::format(
          "<upd:File Digest=\"{}\" DigestAlgorithm=\"SHA1\" FileName=\"{}\" Size=\"{}\" Modified=\"{}\" "
          "PatchingType=\"SelfContained\"><upd:AdditionalDigest "
          "Algorithm=\"SHA256\">{}</upd:AdditionalDigest>"
          "</upd:File>",
          digest_base64(file.sha1), escape_xml(file.name), file.size,
          escape_xml(whole_seconds(creation_time)), digest_base64(file.sha256));
    }
    xml += "</upd:Files>";
  }
  xml += "</upd:Update>";
  return xml;
}

std::string metadata_record(const CatalogUpdate& update, const std::string& creation_time) {
  const std::string xml = update_xml(update, creation_time);
  return fmt::format("{},{:08x},{:08x},{}\r\n", update.update_id, update.revision, xml.size(), xml);
}

std::string mu_url(const CatalogFile& file, const std::string& creation_time) {
  // Microsoft Update names its downloads "<stem>_<sha1 lower>.<ext>" under a year/month folder.
  std::string stem = file.name;
  std::string extension;
  if (auto dot = stem.rfind('.'); dot != std::string::npos) {
    extension = stem.substr(dot);
    stem.resize(dot);
  }
  std::string sha1_lower = file.sha1;
  for (auto& c : sha1_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string year = creation_time.size() >= 7 ? creation_time.substr(0, 4) : "2026";
  const std::string month = creation_time.size() >= 7 ? creation_time.substr(5, 2) : "01";
  return fmt::format("http://download.windowsupdate.com/c/msdownload/update/software/secu/{}/{}/{}_{}{}",
                     year, month, stem, sha1_lower, extension);
}

Result<void> write_export_package(const Catalog& catalog, const fs::path& package, PackageForm form,
                                  CabCompression cab_compression) {
  if (form == PackageForm::kXmlGz) return write_gzip_package(catalog, package);
  CabinetOptions options;
  options.compression = cab_compression;
  dos_date_time(catalog.creation_time, options.dos_date, options.dos_time);
  // metadata.txt first, as Microsoft's exporter adds it, then package.xml.
  std::vector<CabinetEntry> entries;
  entries.push_back({"metadata.txt", [&](const ByteSink& sink) { write_metadata_text(catalog, sink); }});
  entries.push_back({"package.xml", [&](const ByteSink& sink) {
                       write_package_document(catalog, /*embed_update_xml=*/false, sink);
                     }});
  return write_cabinet(package, entries, options);
}

}  // namespace wsa::sim
