#include "wsus/content_name.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"
#include "common/text.h"

namespace wsa::wsus {

namespace {
bool valid_extension(std::string_view ext) {
  if (ext.size() > 16) return false;
  return std::all_of(ext.begin(), ext.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

}  // namespace

std::string ContentName::relative_path() const {
  std::string path = sha1_hex.substr(38, 2) + "/" + sha1_hex;
  if (!extension.empty()) path += "." + extension;
  return path;
}

std::optional<ContentName> parse_content_path(std::string_view relative_path) {
  // Exactly one '/', a two-character folder, a 40-hex stem, an optional simple extension.
  if (relative_path.size() < 43 || relative_path[2] != '/') return std::nullopt;
  std::string_view folder = relative_path.substr(0, 2);
  std::string_view file = relative_path.substr(3);
  std::string_view stem = file.substr(0, 40);
  if (!is_hex(folder) || !is_hex(stem)) return std::nullopt;
  std::string_view rest = file.substr(40);
  std::string_view ext;
  if (!rest.empty()) {
    if (rest.front() != '.') return std::nullopt;
    ext = rest.substr(1);
    if (ext.empty() || !valid_extension(ext)) return std::nullopt;
  }
  ContentName name{to_upper_ascii(stem), std::string(ext)};
  if (to_upper_ascii(folder) != name.sha1_hex.substr(38, 2)) return std::nullopt;
  return name;
}

std::optional<ContentName> content_name_for(std::string_view sha1_raw, std::string_view file_name) {
  if (sha1_raw.size() != 20) return std::nullopt;
  std::string ext;
  if (auto dot = file_name.rfind('.'); dot != std::string_view::npos)
    ext = std::string(file_name.substr(dot + 1));
  if (!valid_extension(ext)) return std::nullopt;
  return ContentName{to_hex_upper(sha1_raw), ext};
}

}  // namespace wsa::wsus
