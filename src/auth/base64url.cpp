#include "base64url.hpp"

#include <array>
#include <cstdint>

namespace switchboard::auth::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

}  // namespace

bool base64url_decode(std::string_view in, std::string& out) {
  const std::size_t tail = in.size() % 4;
  if (tail == 1) {  // 6 bits cannot make a byte
    out.clear();
    return false;
  }
  out.resize(in.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1));
  char* dest = out.data();
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const std::uint8_t v = kDecode[static_cast<unsigned char>(c)];
    if (v == kInvalid) {
      out.clear();
      return false;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *dest++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // The 2 or 4 bits left over must be zero: a canonical encoder never sets them.
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

}  // namespace switchboard::auth::detail
