#include "common/text.h"

#include <algorithm>

namespace wsa {

namespace {
bool is_control(unsigned char byte) {
  return byte < 0x20 || byte == 0x7F;
}
char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

std::string printable(std::string_view text, std::size_t max_shown) {
  std::string out;
  out.reserve(std::min(text.size(), max_shown) + 3);
  for (char c : text.substr(0, max_shown)) out.push_back(is_control(static_cast<unsigned char>(c)) ? '?' : c);
  if (text.size() > max_shown) out += "...";
  return out;
}

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte <= 0x7E;
  });
}

std::string to_printable_ascii(std::string_view text, std::size_t max_length) {
  std::string out(text.substr(0, max_length));
  for (char& c : out) {
    if (!is_printable_ascii(std::string_view(&c, 1))) c = '?';
  }
  return out;
}

bool has_no_control_characters(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

namespace {
// The length of the valid UTF-8 sequence at the start of `text` (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                       : lead >= 0xE0 && lead <= 0xEF ? 3
                       : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                      : 0;
  if (length == 0 || text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
  if (lead == 0xED && byte(1) > 0x9F) return 0;  // surrogate
  if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
  if (lead == 0xF4 && byte(1) > 0x8F) return 0;  // past U+10FFFF
  return length;
}
}  // namespace

std::string to_display_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    std::size_t length = utf8_sequence(text);
    std::string_view piece = length == 0 ? std::string_view("?") : text.substr(0, length);
    if (length == 1 && is_control(static_cast<unsigned char>(piece[0]))) piece = "?";
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return out;
}

bool is_identifier(std::string_view text, std::size_t max_length) {
  return !text.empty() && text.size() <= max_length && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_decimal_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string to_upper_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

std::string to_lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim_space(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<std::string> normalize_kb(std::string_view text) {
  text = trim_space(text);
  if (text.empty()) return std::string();
  if (text.size() >= 2 && iequals_ascii(text.substr(0, 2), "kb")) text.remove_prefix(2);
  if (text.empty() || text.size() > kMaxKbDigits || !is_decimal_digits(text)) return std::nullopt;
  return std::string(text);
}

}  // namespace wsa
