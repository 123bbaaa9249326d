#pragma once
// Internal to the export package reader: a streaming expat parser hardened against hostile XML, and the
// reader that turns package.xml / .xml.gz / metadata.txt update XML into PackageFile and PackageUpdate.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "wsus/export_package.h"

namespace wsa::wsus::detail {

// What to do next when a package's content is damaged, or is something wsusutil never writes.
inline constexpr const char* kDamagedPackageHint =
    "the package is damaged or was not written by wsusutil: export again on the export server (check "
    "wsusutil's log file) and copy the new package";
inline constexpr const char* kHostilePackageHint =
    "wsusutil never writes this: do not import this package; export again on the trusted export server "
    "and copy the new package";

// "upd:File" -> "File": the reader matches local names whatever the prefix or namespace.
std::string_view local_name(std::string_view qualified_name);

// The attributes of one start tag, as expat hands them over (name, value, ..., nullptr).
class XmlAttributes {
 public:
  explicit XmlAttributes(const char* const* pairs) : pairs_(pairs) {}
  // The value of the first attribute with this local name.
  std::optional<std::string_view> find(std::string_view local) const;

 private:
  const char* const* pairs_;
};

// Receives one document's elements, names reduced to their local part. A returned error ends the parse.
class XmlElementHandler {
 public:
  virtual ~XmlElementHandler() = default;
  virtual Result<void> start_element(std::string_view name, const XmlAttributes& attributes) = 0;
  virtual Result<void> end_element(std::string_view name) = 0;
  virtual Result<void> text(std::string_view chars) = 0;
};

// Expat in streaming mode that refuses DTDs and entity declarations, and bounds depth, attribute size
// and the bytes one token may hold before expat would have to buffer it. Errors carry `document` and
// the line and column ("package.xml line 3, column 7: ..."). Exceptions thrown by the handler are
// carried across expat and rethrown from feed()/finish().
class SecureXmlParser {
 public:
  SecureXmlParser(XmlElementHandler& handler, const ReaderLimits& limits, std::string document);
  SecureXmlParser(const SecureXmlParser&) = delete;
  SecureXmlParser& operator=(const SecureXmlParser&) = delete;
  ~SecureXmlParser();

  // Parses the next bytes of the document (any split, any size).
  Result<void> feed(std::string_view bytes);
  // Ends the document: an unclosed element or an empty document is an error.
  Result<void> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Turns the elements of an export package document, or of one update's metadata XML, into visitor
// calls. Element and attribute names are matched without assuming their case. An Update element
// (outermost, wherever it sits) is one record; the update XML the .xml.gz form carries in the record
// merges into it, in any of three forms (docs/export-package-forms.md): child elements (an upd:Update
// nested in the record, directly or inside a `metadata` element), or the text of a `metadata` element
// directly under the record, escaped or CDATA, which a second hardened parser reads as it streams by.
// A File with a Digest is a package-level file outside any Update, and one of the update's files
// inside one.
class PackageXmlReader final : public XmlElementHandler {
 public:
  // Called at the end of each record; the reader checks nothing beyond the XML itself.
  using RecordSink = std::function<Result<void>(PackageUpdate&)>;

  // `reads_metadata_text`: parse a record's `metadata` text as update XML (off for that inner parse).
  PackageXmlReader(const PackageVisitor& visitor, const ReaderLimits& limits, RecordSink on_record,
                   bool reads_metadata_text = true);
  ~PackageXmlReader() override;

  Result<void> start_element(std::string_view name, const XmlAttributes& attributes) override;
  Result<void> end_element(std::string_view name) override;
  Result<void> text(std::string_view chars) override;

  bool saw_export_package() const { return saw_export_package_; }
  const std::string& server_id() const { return server_id_; }
  const std::string& creation_time() const { return creation_time_; }
  std::uint64_t package_files() const { return package_files_; }
  std::uint64_t records() const { return records_; }
  // Records whose update XML came as the text of their metadata element (escaped or CDATA).
  std::uint64_t records_from_metadata_text() const { return records_from_text_; }

 private:
  enum class Tag {
    kOther,
    kExportPackage,
    kUpdate,
    kUpdateIdentity,
    kProperties,
    kKbArticleId,
    kLocalizedProperties,
    kLanguage,
    kTitle,
    kFile,
    kAdditionalDigest,
    kClassification,
    kMetadata,
  };
  struct OpenElement {
    Tag tag = Tag::kOther;
    bool captures_text = false;  // this element started the text capture
  };
  struct OpenFile {
    PackageFile file;
    bool in_update = false;
    std::size_t depth = 0;  // open_elements_.size() when the File started
  };

  static Tag classify(std::string_view name);
  std::string record_label() const;
  Result<void> start_export_package(const XmlAttributes& attributes);
  Result<void> assign_identity(std::optional<std::string_view> id, std::optional<std::string_view> revision);
  Result<void> start_file(const XmlAttributes& attributes);
  Result<void> start_classification(const XmlAttributes& attributes);
  Result<void> end_captured_text(Tag tag);
  Result<void> end_file();
  Result<void> end_update();
  Result<void> metadata_text(std::string_view chars);
  Result<void> end_metadata_text();
  Result<void> merge_embedded(const PackageUpdate& embedded);

  const PackageVisitor& visitor_;
  ReaderLimits limits_;
  RecordSink on_record_;

  std::vector<OpenElement> open_elements_;
  bool saw_export_package_ = false;
  std::string server_id_;
  std::string creation_time_;
  std::uint64_t package_files_ = 0;
  std::uint64_t records_ = 0;

  std::size_t update_depth_ = 0;  // open Update elements: the outermost one is the record
  PackageUpdate update_;
  bool revision_known_ = false;
  std::unordered_set<std::string> update_files_;
  std::optional<OpenFile> file_;
  std::string language_;
  std::string localized_title_;
  std::string english_title_;
  std::string first_title_;

  bool capturing_text_ = false;
  std::string text_;

  // The update XML inside a record's metadata element, parsed while its text streams in.
  struct EmbeddedXml;
  bool reads_metadata_text_ = true;
  std::size_t metadata_depth_ = 0;  // open_elements_.size() inside that element; 0 when outside
  std::unique_ptr<EmbeddedXml> embedded_;
  std::uint64_t records_from_text_ = 0;
};

}  // namespace wsa::wsus::detail
