#pragma once
// Hex, base64 and byte-size text forms used in names, manifests and messages.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsa {

std::string to_hex_lower(std::string_view bytes);
std::string to_hex_upper(std::string_view bytes);
// Decodes hex of either case; nullopt on odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view hex);
// Decodes hex of either case into exactly `out.size()` bytes, without allocating; false (and `out`
// unspecified) when `hex` is not exactly twice as long or holds a non-hex character.
bool from_hex_into(std::string_view hex, std::span<unsigned char> out);

std::string to_base64(std::string_view bytes);
// Strict standard base64 (with padding); nullopt on anything else.
std::optional<std::string> from_base64(std::string_view text);

// "4G", "700M", "1.5GiB", "4000000000" -> bytes (binary multiples: K=1024). nullopt when malformed.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
// 1536 -> "1.5 KiB".
std::string format_bytes(std::uint64_t bytes);

bool is_hex(std::string_view text);

}  // namespace wsa
