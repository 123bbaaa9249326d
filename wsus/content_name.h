#pragma once
// WsusContent naming: every content file lives at `<XX>/<SHA1>.<ext>`, where <SHA1> is the upper-case
// hex SHA-1 of its bytes and <XX> the last two hex characters of that digest.

#include <optional>
#include <string>
#include <string_view>

namespace wsa::wsus {

struct ContentName {
  std::string sha1_hex;   // 40 upper-case hex characters
  std::string extension;  // without the dot, as found (e.g. "cab"); may be empty

  // "XX/<SHA1>.ext", always with '/' separators.
  std::string relative_path() const;
};

// Parses and validates a relative path from a package, the disk or a request. Accepts only
// `XX/<40 hex>.<ext>` (or no extension) where XX equals the digest's last byte, hex of either case
// normalised to upper case; ext of 1-16 characters from [A-Za-z0-9_-]. Refuses everything else:
// absolute paths, "..", drive letters, UNC, ':' streams, backslashes, extra folders.
std::optional<ContentName> parse_content_path(std::string_view relative_path);

// Builds the content name for a raw 20-byte SHA-1 digest and a file name from metadata ("x.cab" -> "cab").
std::optional<ContentName> content_name_for(std::string_view sha1_raw, std::string_view file_name);

}  // namespace wsa::wsus
