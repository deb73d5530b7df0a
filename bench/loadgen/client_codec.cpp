#include "client_codec.hpp"

#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "http_response.hpp"

namespace switchboard::bench {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    std::uint32_t chunk = std::uint32_t{data[i]} << 16;
    if (i + 1 < size) chunk |= std::uint32_t{data[i + 1]} << 8;
    if (i + 2 < size) chunk |= std::uint32_t{data[i + 2]};
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[chunk & 63] : '=');
  }
  return out;
}

std::uint64_t split_mix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

HandshakeKey make_handshake_key(std::uint64_t seed) {
  std::array<unsigned char, 16> nonce{};
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < nonce.size(); i += 8) {
    std::uint64_t r = split_mix(state);
    std::memcpy(nonce.data() + i, &r, 8);
  }
  HandshakeKey result;
  result.key = base64(nonce.data(), nonce.size());
  std::string concatenated = result.key + std::string(kWebSocketGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(concatenated.data()), concatenated.size(),
       digest.data());
  result.expected_accept = base64(digest.data(), digest.size());
  return result;
}

std::string build_upgrade_request(std::string_view host, std::string_view target,
                                  std::string_view key) {
  std::string request;
  request.reserve(256);
  request.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  request.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ");
  request.append(key).append("\r\n\r\n");
  return request;
}

std::string check_upgrade_response(std::string_view head, std::string_view expected_accept) {
  if (response_status(head) != 101u) {
    return "unexpected status: " + std::string(head.substr(0, head.find("\r\n")));
  }
  const std::optional<std::string_view> accept = header_value(head, "sec-websocket-accept");
  if (!accept) return "missing Sec-WebSocket-Accept";
  return *accept == expected_accept ? std::string() : std::string("wrong Sec-WebSocket-Accept");
}

void append_client_frame(std::string& out, Opcode opcode, std::string_view payload,
                         std::uint32_t mask_key) {
  const std::size_t size = payload.size();
  std::array<unsigned char, 14> header{};
  std::size_t header_size = 2;
  header[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(opcode));
  if (size < 126) {
    header[1] = static_cast<unsigned char>(0x80 | size);
  } else if (size <= 0xFFFF) {
    header[1] = 0x80 | 126;
    header[2] = static_cast<unsigned char>(size >> 8);
    header[3] = static_cast<unsigned char>(size);
    header_size = 4;
  } else {
    header[1] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<unsigned char>(size >> (56 - 8 * i));
    header_size = 10;
  }
  std::array<unsigned char, 4> mask{};
  std::memcpy(mask.data(), &mask_key, 4);
  std::memcpy(header.data() + header_size, mask.data(), 4);
  header_size += 4;

  const std::size_t start = out.size();
  out.resize(start + header_size + size);
  char* dst = out.data() + start;
  std::memcpy(dst, header.data(), header_size);
  dst += header_size;
  for (std::size_t i = 0; i < size; ++i) {
    dst[i] = static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i & 3]);
  }
}

ParseStatus parse_server_frame(const char* data, std::size_t size, std::size_t max_payload,
                               FrameView& frame) {
  if (size < 2) return ParseStatus::kNeedMore;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  if ((bytes[0] & 0x70) != 0 || (bytes[1] & 0x80) != 0) return ParseStatus::kError;
  const unsigned opcode = bytes[0] & 0x0F;
  if ((opcode > 2 && opcode < 8) || opcode > 0xA) return ParseStatus::kError;
  std::size_t header_size = 2;
  std::uint64_t length = bytes[1] & 0x7F;
  if (length == 126) {
    if (size < 4) return ParseStatus::kNeedMore;
    length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
    header_size = 4;
  } else if (length == 127) {
    if (size < 10) return ParseStatus::kNeedMore;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | bytes[2 + i];
    header_size = 10;
  }
  if (length > max_payload) return ParseStatus::kError;
  if (size - header_size < length) return ParseStatus::kNeedMore;
  frame.fin = (bytes[0] & 0x80) != 0;
  frame.opcode = static_cast<Opcode>(opcode);
  frame.payload = data + header_size;
  frame.payload_size = static_cast<std::size_t>(length);
  frame.frame_size = header_size + frame.payload_size;
  return ParseStatus::kFrame;
}

}  // namespace switchboard::bench
