#include "manifest/receipt.h"

#include <boost/filesystem/operations.hpp>

#include <algorithm>
#include <unordered_set>

#include "common/atomic_file.h"
#include "common/encoding.h"
#include "common/platform.h"
#include "common/strict_json.h"
#include "common/text.h"
#include "manifest/transfer_manifest.h"
#include "wsus/content_name.h"

namespace wsa::manifest {

using nlohmann::json;

namespace {

constexpr std::string_view kReceiptKind = "wsus-airgap receipt";
constexpr std::string_view kRequestKind = "wsus-airgap content request";
constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxHostLength = 255;
constexpr std::size_t kMaxReasonLength = 200;
constexpr std::size_t kMaxTitleLength = 1024;
constexpr std::size_t kMaxKbLength = 32;
constexpr const char* kReceiptHint =
    "the receipt is damaged or was altered; write it again on the offline server (import writes one "
    "after every run)";
constexpr const char* kRequestHint =
    "the request is damaged or was altered; make it again on the offline server";
constexpr const char* kTooLargeHint =
    "so many files are missing that the offline server needs a full package: run export --full on the "
    "connected server";

std::string read_identifier(const JsonObjectReader& reader, std::string_view name, bool allow_empty) {
  std::string text = reader.string(name);
  if (allow_empty && text.empty()) return text;
  if (!is_identifier(text, kMaxIdLength)) {
    throw JsonRefusal{"field " + reader.label(name) + " \"" + printable(text) +
                      "\" is not 1-64 characters from A-Z a-z 0-9 . _ -"};
  }
  return text;
}

std::string read_sha256_or_empty(const JsonObjectReader& reader, std::string_view name) {
  std::string text = reader.string(name);
  if (!text.empty() && !is_lower_hex(text, 64)) {
    throw JsonRefusal{"field " + reader.label(name) + " is neither empty nor 64 lower-case hex characters"};
  }
  return text;
}

MissingFile read_file_entry(const json& value, const std::string& context, std::size_t index) {
  JsonObjectReader entry(value, context + "[" + std::to_string(index) + "].");
  entry.refuse_unknown({"path", "reason", "update_id", "title", "kb"});
  MissingFile file;
  file.path = entry.string("path");
  // Only the one canonical spelling: the exporter looks the path up as text in its inventory, and a
  // lower-case or backslash variant must not slip past as "not in the source".
  auto name = wsus::parse_content_path(file.path);
  if (!name || name->relative_path() != file.path) {
    throw JsonRefusal{"field " + entry.label("path") + " \"" + printable(file.path) +
                      "\" is not a canonical WsusContent path like 0A/<40 upper-case hex>.cab"};
  }
  file.problem = entry.text("reason", kMaxReasonLength, /*allow_empty=*/true);
  file.update_id = entry.text("update_id", kMaxIdLength, /*allow_empty=*/true);
  file.title = entry.text("title", kMaxTitleLength, /*allow_empty=*/true);
  file.kb = entry.text("kb", kMaxKbLength, /*allow_empty=*/true);
  return file;
}

// The list of files is the one part of these documents that grows: its entries are read one by one
// as the parser meets them, so a file costs its size plus the files it lists, never a whole tree. An
// entry's refusal waits until the version and the other fields were checked, in the order the reader
// always used: a newer file must say "upgrade", not "unknown field".
class StreamedFiles {
 public:
  StreamedFiles(std::string key, std::string context)
      : array_{std::move(key), kMaxRequestedFiles, [this, context](const json& entry, std::size_t index) {
                 if (refusal_) return;
                 try {
                   files_.push_back(read_file_entry(entry, context, index));
                 } catch (const JsonRefusal& refusal) {
                   refusal_ = refusal.why;
                 }
               }} {}
  StreamedFiles(const StreamedFiles&) = delete;  // the array's callback holds `this`
  StreamedFiles& operator=(const StreamedFiles&) = delete;

  const StreamedJsonArray* array() const { return &array_; }
  // The files read, or the first entry's refusal (thrown).
  std::vector<MissingFile> take() {
    if (refusal_) throw JsonRefusal{*refusal_};
    return std::move(files_);
  }

 private:
  std::vector<MissingFile> files_;
  std::optional<std::string> refusal_;
  StreamedJsonArray array_;
};

// What the reader accepts, made so by the writer: informative fields are cut to their limit and
// control characters replaced, so a long error text or an odd title never makes an unreadable file.
json file_to_json(const MissingFile& file) {
  return json{{"path", file.path},
              {"reason", to_display_text(file.problem, kMaxReasonLength)},
              {"update_id", to_display_text(file.update_id, kMaxIdLength)},
              {"title", to_display_text(file.title, kMaxTitleLength)},
              {"kb", to_display_text(file.kb, kMaxKbLength)}};
}

// Dumps `object` (keys in the object's sorted order) with the field `array_key` written from `files`,
// one entry at a time: the writer never holds a tree of every file either. `pretty`: two-space indent
// with one file per line.
std::string dump_with_files(const json& object, std::string_view array_key,
                            const std::vector<MissingFile>& files, bool pretty) {
  if (files.size() > kMaxRequestedFiles) {
    fail(ExitCode::kOperational, "the list of files",
         "is too large: " + std::to_string(files.size()) + " files; the limit is " +
             std::to_string(kMaxRequestedFiles) + " per receipt or content request",
         kTooLargeHint);
  }
  auto dump = [](const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); };
  std::string out = pretty ? "{\n" : "{";
  bool first = true;
  for (const auto& [key, value] : object.items()) {
    if (!first) out += pretty ? ",\n" : ",";
    first = false;
    if (pretty) out += "  ";
    out += dump(json(key)) + (pretty ? ": " : ":");
    if (key != array_key) {
      out += dump(value);
      continue;
    }
    out += "[";
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (i > 0) out += ",";
      if (pretty) out += "\n    ";
      out += dump(file_to_json(files[i]));
    }
    if (pretty && !files.empty()) out += "\n  ";
    out += "]";
  }
  out += pretty ? "\n}\n" : "}";
  return out;
}

// The writer's side of the byte limit: a file the reader would refuse is never written.
void refuse_oversize(std::string_view what, std::size_t bytes, std::size_t files) {
  if (bytes <= kMaxReceiptBytes) return;
  fail(ExitCode::kOperational, std::string(what),
       "is too large: " + std::to_string(bytes) + " bytes for " + std::to_string(files) +
           " files; the limit is " + std::to_string(kMaxReceiptBytes) + " bytes",
       kTooLargeHint);
}

// The version is read before anything else: a newer file may have fields this reader does not know, and
// the useful message then is "upgrade", not "unknown field".
std::string kind_of(const json& document) {
  if (!document.is_object()) return {};
  auto found = document.find("kind");
  return found != document.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Receipt read_receipt_body(const json& document) {
  JsonObjectReader body(document, "body.");
  body.refuse_unknown({"format_version", "offline_ledger_id", "offline_host", "created_utc", "source_id",
                       "applied_sequence", "applied_manifest_sha256", "applied_this_run", "content_digest",
                       "content_files", "content_bytes", "missing", "approvals"});
  Receipt receipt;
  // The envelope's version is not signed; the body's is, and the two must agree.
  if (body.integer("format_version") != kReceiptFormatVersion) {
    throw JsonRefusal{"field body.format_version differs from the receipt's format_version"};
  }
  receipt.offline_ledger_id = read_identifier(body, "offline_ledger_id", /*allow_empty=*/false);
  receipt.offline_host = body.text("offline_host", kMaxHostLength, /*allow_empty=*/true);
  receipt.created_utc = read_utc_field(body, "created_utc");
  receipt.source_id = read_identifier(body, "source_id", /*allow_empty=*/false);
  receipt.applied_sequence = body.unsigned_integer("applied_sequence");
  receipt.applied_manifest_sha256 = read_sha256_or_empty(body, "applied_manifest_sha256");
  if ((receipt.applied_sequence == 0) != receipt.applied_manifest_sha256.empty()) {
    throw JsonRefusal{
        "field body.applied_manifest_sha256 must be empty exactly when body.applied_sequence is 0"};
  }
  const json& applied = body.array("applied_this_run");
  for (std::size_t i = 0; i < applied.size(); ++i) {
    if (!applied[i].is_number_unsigned() || applied[i].get<std::uint64_t>() == 0) {
      throw JsonRefusal{"field body.applied_this_run[" + std::to_string(i) +
                        "] is not a sequence (1 or more)"};
    }
    receipt.applied_this_run.push_back(applied[i].get<std::uint64_t>());
  }
  receipt.content_digest = read_sha256_or_empty(body, "content_digest");
  receipt.content_files = body.unsigned_integer("content_files");
  receipt.content_bytes = body.unsigned_integer("content_bytes");
  body.array("missing");  // its entries were read as they were parsed
  if (!body.is_null("approvals")) {
    JsonObjectReader approvals(body.field("approvals"), "body.approvals.");
    approvals.refuse_unknown({"sequence", "result", "applied", "not_applied", "unchanged", "drift",
                              "eula_gaps", "missing_updates"});
    ReceiptApprovals summary;
    summary.sequence = approvals.unsigned_integer("sequence");
    summary.result = approvals.text("result", 32, /*allow_empty=*/false);
    summary.applied = approvals.unsigned_integer("applied");
    summary.not_applied = approvals.unsigned_integer("not_applied");
    summary.unchanged = approvals.unsigned_integer("unchanged");
    summary.drift = approvals.unsigned_integer("drift");
    summary.eula_gaps = approvals.unsigned_integer("eula_gaps");
    summary.missing_updates = approvals.unsigned_integer("missing_updates");
    receipt.approvals = summary;
  }
  return receipt;
}

// Same shape and limits as signatures.json.
std::vector<Signature> read_envelope_signatures(const JsonObjectReader& top) {
  return detail::read_signature_array(top);
}

}  // namespace

std::string serialize_receipt(const Receipt& receipt, const std::vector<const SigningKey*>& keys) {
  // The default nlohmann object is a std::map: keys come out sorted, so equal receipts give equal bytes.
  json body{
      {"format_version", kReceiptFormatVersion},
      {"offline_ledger_id", receipt.offline_ledger_id},
      {"offline_host", receipt.offline_host},
      {"created_utc", receipt.created_utc},
      {"source_id", receipt.source_id},
      {"applied_sequence", receipt.applied_sequence},
      {"applied_manifest_sha256", receipt.applied_manifest_sha256},
      {"applied_this_run", receipt.applied_this_run},
      {"content_digest", receipt.content_digest},
      {"content_files", receipt.content_files},
      {"content_bytes", receipt.content_bytes},
      {"missing", nullptr},  // written by dump_with_files
      {"approvals", nullptr},
  };
  if (const auto& a = receipt.approvals) {
    body["approvals"] = {{"sequence", a->sequence},   {"result", a->result},
                         {"applied", a->applied},     {"not_applied", a->not_applied},
                         {"unchanged", a->unchanged}, {"drift", a->drift},
                         {"eula_gaps", a->eula_gaps}, {"missing_updates", a->missing_updates}};
  }
  // The body travels as a string so the signed bytes are exactly the bytes read back: no
  // re-serialisation can change what was signed.
  std::string body_text = dump_with_files(body, "missing", receipt.missing, /*pretty=*/false);
  refuse_oversize("the receipt", body_text.size(), receipt.missing.size());
  json signatures = json::array();
  for (const SigningKey* key : keys) {
    signatures.push_back(json{{"key_id", key->key_id()}, {"signature", to_base64(key->sign(body_text))}});
  }
  json document{{"format_version", kReceiptFormatVersion},
                {"kind", kReceiptKind},
                {"body", body_text},
                {"signatures", signatures}};
  std::string text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  refuse_oversize("the receipt", text.size(), receipt.missing.size());
  return text;
}

Result<Receipt> parse_receipt(std::string_view bytes, const std::string& where, const TrustStore* trust) {
  try {
    json document = parse_strict_json(bytes, kMaxReceiptBytes);
    JsonObjectReader top(document, "");
    if (auto version =
            check_format_version(top, kReceiptFormatVersion, "receipt", "receipt", where,
                                 "write the receipt again with a current wsus-airgap on the offline server");
        !version) {
      return std::unexpected(version.error());
    }
    top.refuse_unknown({"format_version", "kind", "body", "signatures"});
    if (auto kind = top.string("kind"); kind != kReceiptKind) {
      throw JsonRefusal{"field kind is \"" + printable(kind) + "\"; a receipt has \"" +
                        std::string(kReceiptKind) + "\""};
    }
    if (!top.field("body").is_string()) top.string("body");  // refuses it in the usual words
    // A reference, not a copy: the body may be hundreds of megabytes.
    const auto& body_text = top.field("body").get_ref<const std::string&>();
    auto signatures = read_envelope_signatures(top);
    // Signatures are checked before the body is read: nothing an unauthenticated body says is acted on.
    if (trust != nullptr && !trust->keys().empty()) {
      auto check = check_signatures(body_text, signatures, *trust);
      if (!check.invalid.empty()) {
        return make_error(ExitCode::kIntegrity, where,
                          "the signature by trusted key " + check.invalid.front() +
                              " does not match the receipt's body: it was altered after signing",
                          kReceiptHint);
      }
      if (!check.meets(1)) {
        return make_error(ExitCode::kIntegrity, where,
                          signatures.empty()
                              ? "is not signed, and --receipt-trust requires a trusted signature"
                              : "is not signed by any key given with --receipt-trust",
                          "sign receipts on the offline server with a key whose public half is given to "
                          "--receipt-trust, or check that the right key file was given");
      }
    }
    StreamedFiles missing("missing", "body.missing");
    json body = parse_strict_json(body_text, kMaxReceiptBytes, missing.array());
    Receipt receipt = read_receipt_body(body);
    receipt.missing = missing.take();
    return receipt;
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, where, refusal.why, kReceiptHint);
  }
}

std::string serialize_request(const ContentRequest& request) {
  json document{
      {"format_version", kRequestFormatVersion}, {"kind", kRequestKind},
      {"created_utc", request.created_utc},      {"offline_host", request.offline_host},
      {"source_id", request.source_id},          {"files", nullptr},
  };
  std::string text = dump_with_files(document, "files", request.files, /*pretty=*/true);
  refuse_oversize("the content request", text.size(), request.files.size());
  return text;
}

ContentRequest make_content_request(const std::vector<MissingFile>& files, std::string source_id,
                                    std::string created_utc) {
  ContentRequest request;
  request.created_utc = std::move(created_utc);
  request.offline_host = platform::host_name();
  request.source_id = std::move(source_id);
  std::unordered_set<std::string> listed;
  for (const auto& file : files) {
    if (listed.insert(file.path).second) request.files.push_back(file);
  }
  return request;
}

Result<void> write_request(const fs::path& target, const ContentRequest& request) {
  std::string text;
  try {
    text = serialize_request(request);
  } catch (const AirgapError& error) {
    Error named = error.error();
    named.what = target.string();
    return std::unexpected(std::move(named));
  }
  return write_file_atomically(target, text);
}

Result<ContentRequest> parse_request(std::string_view bytes, const std::string& where) {
  try {
    StreamedFiles files("files", "files");
    json document = parse_strict_json(bytes, kMaxReceiptBytes, files.array());
    JsonObjectReader top(document, "");
    if (auto version =
            check_format_version(top, kRequestFormatVersion, "content request", "content request", where,
                                 "make the request again with a current wsus-airgap on the offline server");
        !version) {
      return std::unexpected(version.error());
    }
    top.refuse_unknown({"format_version", "kind", "created_utc", "offline_host", "source_id", "files"});
    if (auto kind = top.string("kind"); kind != kRequestKind) {
      throw JsonRefusal{"field kind is \"" + printable(kind) + "\"; a content request has \"" +
                        std::string(kRequestKind) + "\""};
    }
    ContentRequest request;
    request.created_utc = read_utc_field(top, "created_utc");
    request.offline_host = top.text("offline_host", kMaxHostLength, /*allow_empty=*/true);
    request.source_id = read_identifier(top, "source_id", /*allow_empty=*/true);
    top.array("files");  // its entries were read as they were parsed
    request.files = files.take();
    return request;
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, where, refusal.why, kRequestHint);
  }
}

Result<std::vector<MissingFile>> read_requested_files(const fs::path& file, const TrustStore* trust) {
  // Refused before a byte is read: the size alone says it is not a file this tool wrote.
  boost::system::error_code ec;
  if (auto size = fs::file_size(file, ec); !ec && size > kMaxReceiptBytes) {
    return make_error(ExitCode::kIntegrity, file.string(),
                      "is too large: " + std::to_string(size) +
                          " bytes; the limit for a receipt or content "
                          "request is " +
                          std::to_string(kMaxReceiptBytes) + " bytes",
                      "give the receipt.json or request.json written on the offline server");
  }
  auto bytes = read_small_file(file, kMaxReceiptBytes);
  if (!bytes) return std::unexpected(bytes.error());
  std::string kind;
  try {
    // Only the kind is wanted here: the list of files is skipped, not built.
    StreamedJsonArray skip{"files", kMaxRequestedFiles, [](const json&, std::size_t) {}};
    kind = kind_of(parse_strict_json(*bytes, kMaxReceiptBytes, &skip));
  } catch (const JsonRefusal& refusal) {
    return make_error(ExitCode::kIntegrity, file.string(), refusal.why, kRequestHint);
  }
  std::vector<MissingFile> files;
  if (kind == kReceiptKind) {
    auto receipt = parse_receipt(*bytes, file.string(), trust);
    if (!receipt) return std::unexpected(receipt.error());
    files = std::move(receipt->missing);
  } else if (kind == kRequestKind) {
    auto request = parse_request(*bytes, file.string());
    if (!request) return std::unexpected(request.error());
    files = std::move(request->files);
  } else {
    return make_error(
        ExitCode::kIntegrity, file.string(),
        "is neither a receipt nor a content request (its \"kind\" field is \"" + printable(kind) + "\")",
        "give the receipt.json or request.json written on the offline server");
  }
  // A file two updates need may be listed twice; it is sent once.
  std::unordered_set<std::string> seen;
  seen.reserve(files.size());
  std::erase_if(files, [&](const MissingFile& f) { return !seen.insert(f.path).second; });
  return files;
}

}  // namespace wsa::manifest
