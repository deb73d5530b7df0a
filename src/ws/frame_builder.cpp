// Server-to-client framing (RFC 6455 §5.2): FIN, RSV1 for permessage-deflate, never a mask.
#include "switchboard/ws/frame_builder.hpp"

#include <cstring>
#include <string>

#include "switchboard/ws/deflate.hpp"

namespace switchboard::ws {
namespace {

constexpr std::size_t kMaxControlPayload = 125;

// Longest prefix of `s` no longer than `limit` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t cut = limit;
  // Back off over continuation bytes (10xxxxxx) so the cut lands before a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

SharedFrame frame_with_payload(Opcode op, std::string_view payload, bool rsv1) {
  const std::size_t header = frame_header_size(payload.size());
  SharedFrame frame = SharedFrame::allocate(header + payload.size());
  std::uint8_t* out = frame.mutable_data();
  write_frame_header(out, op, payload.size(), true, rsv1);
  if (!payload.empty()) std::memcpy(out + header, payload.data(), payload.size());
  return frame;
}

}  // namespace

std::size_t write_frame_header(std::uint8_t* out, Opcode op, std::size_t payload_size, bool fin,
                               bool rsv1) noexcept {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) |
                                     static_cast<std::uint8_t>(op));
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_size >> 8);
    out[3] = static_cast<std::uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  const std::uint64_t len = payload_size;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
  return 10;
}

SharedFrame build_frame(Opcode op, std::string_view payload, bool rsv1) {
  return frame_with_payload(op, payload, rsv1);
}

SharedFrame build_close_frame(std::uint16_t code, std::string_view reason) {
  const std::string_view kept = utf8_prefix(reason, kMaxControlPayload - 2);
  char body[kMaxControlPayload];
  body[0] = static_cast<char>(code >> 8);
  body[1] = static_cast<char>(code & 0xFF);
  if (!kept.empty()) std::memcpy(body + 2, kept.data(), kept.size());
  return frame_with_payload(Opcode::close, std::string_view(body, 2 + kept.size()), false);
}

OutboundMessage build_message(Opcode op, std::string_view payload, Deflater* deflater,
                              std::size_t min_deflate_size) {
  OutboundMessage message;
  message.plain = frame_with_payload(op, payload, false);
  // Only data messages may be compressed (RFC 7692 §6: RSV1 on control frames is an error).
  const bool data = op == Opcode::text || op == Opcode::binary;
  if (deflater != nullptr && data && payload.size() >= min_deflate_size) {
    const std::string compressed = deflater->compress(payload);
    message.deflated = frame_with_payload(op, compressed, true);
  }
  return message;
}

}  // namespace switchboard::ws
