// Client side of RFC 6455, just enough for a load generator: the opening handshake
// (section 4.1), masked client frames (section 5.3) and parsing of unmasked server frames
// (section 5.2). Deliberately independent of the server's codec so that the generator
// stays neutral across the servers it compares.
//
// Thread safety: free functions over caller-owned buffers; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::bench {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// A random Sec-WebSocket-Key (base64 of 16 bytes) and the Sec-WebSocket-Accept a
// conforming server must answer with.
struct HandshakeKey {
  std::string key;
  std::string expected_accept;
};
HandshakeKey make_handshake_key(std::uint64_t seed);

// The GET request that opens a WebSocket on `target` (path and query).
std::string build_upgrade_request(std::string_view host, std::string_view target,
                                  std::string_view key);

// Checks a complete response head (status line through the blank line): status 101 and
// the expected Sec-WebSocket-Accept. Returns an empty string when valid, else the reason.
std::string check_upgrade_response(std::string_view head, std::string_view expected_accept);

// Appends one masked, final frame carrying `payload` to `out`. `mask_key` is the 32-bit
// masking key (RFC 6455 section 5.3 asks for an unpredictable one; a fast PRNG serves here).
void append_client_frame(std::string& out, Opcode opcode, std::string_view payload,
                         std::uint32_t mask_key);

// One server frame located in a byte range, payload still in place.
struct FrameView {
  bool fin = false;
  Opcode opcode = Opcode::kText;
  const char* payload = nullptr;
  std::size_t payload_size = 0;
  std::size_t frame_size = 0;  // header + payload: how far to advance
};

enum class ParseStatus { kFrame, kNeedMore, kError };

// Parses the frame at the start of [data, data + size). Server frames must not be masked
// and must not use reserved bits (no extension is negotiated). `max_payload` bounds the
// payload size a frame may announce.
ParseStatus parse_server_frame(const char* data, std::size_t size, std::size_t max_payload,
                               FrameView& frame);

}  // namespace switchboard::bench
