#include "base64.hpp"

#include <array>
#include <cstdint>

namespace switchboard::socketio::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kNotBase64 = 0xFF;

constexpr std::array<std::uint8_t, 256> kSextet = [] {
  std::array<std::uint8_t, 256> table{};
  table.fill(kNotBase64);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}();

// `text` without its padding, or nullopt when the padding is misplaced.
std::optional<std::string_view> strip_padding(std::string_view text) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 0 && text.size() % 4 != 0) return std::nullopt;
  return text.substr(0, text.size() - pad);
}

}  // namespace

void append_base64(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
        static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(group >> shift) & 0x3F]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out.push_back(kAlphabet[(group >> 18) & 0x3F]);
  out.push_back(kAlphabet[(group >> 12) & 0x3F]);
  out.push_back(rest == 2 ? kAlphabet[(group >> 6) & 0x3F] : '=');
  out.push_back('=');
}

std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  const auto digits = strip_padding(text);
  if (!digits || digits->size() % 4 == 1) return std::nullopt;  // 6 bits cannot make a byte
  for (const char c : *digits) {
    if (kSextet[static_cast<unsigned char>(c)] == kNotBase64) return std::nullopt;
  }
  return digits->size() / 4 * 3 + (digits->size() % 4 == 0 ? 0 : digits->size() % 4 - 1);
}

void decode_base64_into(std::string_view text, char* dest) {
  const std::string_view digits = strip_padding(text).value_or(std::string_view{});
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : digits) {
    acc = (acc << 6 | kSextet[static_cast<unsigned char>(c)]) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *dest++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
}

bool append_base64_decoded(std::string& out, std::string_view text) {
  const auto size = base64_decoded_size(text);
  if (!size) return false;
  const std::size_t at = out.size();
  out.resize(at + *size);
  decode_base64_into(text, out.data() + at);
  return true;
}

}  // namespace switchboard::socketio::detail
