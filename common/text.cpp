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
  return std::none_of(text.begin(), text.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
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
