#pragma once
// Text rules for values read from input that crosses the air gap (manifests, receipts, requests,
// inventories, package XML, the live server's query output): one definition of each, so every reader
// accepts and quotes the same things. ASCII only: nothing here depends on the locale.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wsa {

// A value from hostile input made safe to print: bytes below 0x20 and 0x7F become '?', at most
// `max_shown` bytes are kept and "..." marks the cut. UTF-8 passes through.
std::string printable(std::string_view text, std::size_t max_shown = 80);

// Only bytes 0x20-0x7E (printable 7-bit ASCII).
bool is_printable_ascii(std::string_view text);
// What a writer puts where a reader wants is_printable_ascii: every other byte becomes '?', and the
// text is cut to `max_length` bytes.
std::string to_printable_ascii(std::string_view text, std::size_t max_length);
// No byte below 0x20 and no 0x7F: UTF-8 text (titles, host names) that cannot rewrite a terminal.
bool has_no_control_characters(std::string_view text);
// What a writer puts where a reader wants has_no_control_characters and a length: valid UTF-8 is kept,
// an invalid byte or a control character becomes '?', and the text is cut at a character boundary so
// it holds at most `max_bytes` bytes.
std::string to_display_text(std::string_view text, std::size_t max_bytes);
// 1-`max_length` characters from A-Z a-z 0-9 . _ -
bool is_identifier(std::string_view text, std::size_t max_length);
// Exactly `length` characters from 0-9 a-f.
bool is_lower_hex(std::string_view text, std::size_t length);
// Only 0-9 (true for the empty string).
bool is_decimal_digits(std::string_view text);

// ASCII case mapping; bytes over 0x7F are left as they are.
std::string to_upper_ascii(std::string_view text);
std::string to_lower_ascii(std::string_view text);
bool iequals_ascii(std::string_view a, std::string_view b);
// Without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim_space(std::string_view text);

// The longest KB number accepted anywhere (Microsoft's are 6-7 digits today).
inline constexpr std::size_t kMaxKbDigits = 16;
// "KB5000001", "kb5000001", " 5000001 " -> "5000001"; "" -> ""; nullopt for anything that is not
// 1-kMaxKbDigits decimal digits after an optional "KB".
std::optional<std::string> normalize_kb(std::string_view text);

}  // namespace wsa
