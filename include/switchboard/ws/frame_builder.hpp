#pragma once
// Serialises unmasked server-to-client frames (RFC 6455 §5.2). Servers never mask.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "switchboard/ws/opcode.hpp"
#include "switchboard/ws/shared_frame.hpp"

namespace switchboard::ws {

class Deflater;

// Largest header a server frame can have: 2 bytes + 8-byte extended length (no mask).
inline constexpr std::size_t kMaxServerHeaderSize = 10;

// Size of the header for a payload of `payload_size` bytes: 2, 4 or 10.
constexpr std::size_t frame_header_size(std::size_t payload_size) noexcept {
  return payload_size < 126 ? 2 : (payload_size <= 0xFFFF ? 4 : 10);
}

// Writes the header into `out` (at least frame_header_size() bytes); returns its size.
std::size_t write_frame_header(std::uint8_t* out, Opcode op, std::size_t payload_size,
                               bool fin = true, bool rsv1 = false) noexcept;

// One complete single-frame message: header and payload in one shared block.
SharedFrame build_frame(Opcode op, std::string_view payload, bool rsv1 = false);

// The payload of a frame build_frame() made (server frames are never masked): what a carrier
// other than a WebSocket (HTTP long-polling, a history answer) sends of it.
inline std::string_view frame_payload(const SharedFrame& frame) noexcept {
  const std::string_view bytes = frame.view();
  if (bytes.size() < 2) return {};
  const auto length = static_cast<std::uint8_t>(bytes[1]) & 0x7F;
  return bytes.substr(length < 126 ? 2 : (length == 126 ? 4 : 10));
}

// A close frame with `code` and `reason` (the reason is truncated to fit 125 bytes, at a
// UTF-8 boundary). `code` must satisfy close_code::is_valid_on_wire.
SharedFrame build_close_frame(std::uint16_t code, std::string_view reason);

// A message to send to many connections, some of which negotiated permessage-deflate.
// `plain` is always set; `deflated` (RSV1 set, compressed once with no context takeover,
// so that it is valid for every deflate connection) is set when a Deflater was given and
// the payload is at least `min_deflate_size` bytes.
struct OutboundMessage {
  SharedFrame plain;
  SharedFrame deflated;
  const SharedFrame& for_connection(bool deflate_negotiated) const noexcept {
    return (deflate_negotiated && deflated) ? deflated : plain;
  }
  // What a fan-out to `recipients` connections on one worker hands to each of them: for many,
  // thread-local views of both variants (SharedFrame::thread_local_view: one allocation, then
  // no locked instruction per recipient); for a few (a user's own devices), the frames
  // themselves, whose locked counts cost less than the view's allocation.
  OutboundMessage for_recipients(std::size_t recipients) const {
    constexpr std::size_t kViewWorthIt = 8;
    if (recipients < kViewWorthIt) return *this;
    return {plain.thread_local_view(), deflated.thread_local_view()};
  }
};
OutboundMessage build_message(Opcode op, std::string_view payload, Deflater* deflater = nullptr,
                              std::size_t min_deflate_size = 0);

}  // namespace switchboard::ws
