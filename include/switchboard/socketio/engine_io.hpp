#pragma once
// Engine.IO protocol v4 packets (https://socket.io/docs/v4/engine-io-protocol/): the transport
// layer under Socket.IO. A pure codec: no I/O, no session state.
//
// On a WebSocket, one text frame is one packet: its type character, then its data. A binary
// frame is a message packet of raw bytes (no type character in v4), so it needs no parsing here.
// On HTTP long-polling, a body holds packets joined by the record separator '\x1e', a binary
// message packet being written as 'b' followed by the standard base64 of its bytes.
//
// Thread safety: every function may be called on any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::socketio {

enum class EioType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

// The record separator between the packets of a polling payload.
inline constexpr char kEioRecordSeparator = '\x1e';

struct EioPacket {
  EioType type;
  std::string_view data;  // after the type character; may be empty
  bool binary = false;    // a message of raw bytes (the 'b' packets of a polling payload)
};

// One packet from a WebSocket text frame. nullopt when `text` is empty or its first character
// is not one of the seven types ('b' included: binary travels in binary frames on a WebSocket).
// `data` views into `text`.
std::optional<EioPacket> parse_eio_text(std::string_view text);

// The packets of a polling payload (an HTTP body), replacing the contents of `out`. Text
// packets' data view into `body`; binary packets' decoded bytes are written to `scratch`
// (replaced: sized once, before any view into it is taken) and their data view into it, so
// every view stays valid while `body` lives and `scratch` is not modified.
// False (and `out` empty) on any malformed payload: an empty body or an empty packet (two
// separators in a row, or one at either end), an unknown type character, a 'b' packet that is
// not base64, or more than `max_packets` packets.
bool split_eio_payload(std::string_view body, std::vector<EioPacket>& out, std::string& scratch,
                       std::size_t max_packets);

// Appends one text packet to the polling payload being built in `out` (which holds nothing
// else), preceded by the record separator unless it is the first. `data` must not contain
// '\x1e' (nothing escapes it, as in the reference): Socket.IO packets never do, since JSON
// text has no raw control characters.
void append_eio_payload_packet(std::string& out, EioType type, std::string_view data);
// Appends a binary message packet ('b' + base64 of `bytes`) the same way.
void append_eio_payload_binary(std::string& out, std::string_view bytes);

// Starts an Engine.IO message packet: Socket.IO packets travel inside one, so a sender writes
// this and then appends the Socket.IO packet (socket_io.hpp encoders) after it, with no copy.
inline void begin_eio_message(std::string& out) {
  out.push_back(static_cast<char>(EioType::message));
}

// The handshake's open packet, fields in the order the reference server writes them:
// 0{"sid":"…","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
// ("upgrades":[] when `websocket_upgrade` is false: the session already is a WebSocket, or
// upgrades are disabled).
void append_open_packet(std::string& out, std::string_view sid, bool websocket_upgrade,
                        std::uint32_t ping_interval_ms, std::uint32_t ping_timeout_ms,
                        std::size_t max_payload);

// The errors an Engine.IO server answers a bad HTTP request (or upgrade) with; the values are
// the wire codes.
enum class EioError : std::uint8_t {
  transport_unknown = 0,
  session_id_unknown = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

// The JSON body for `error`, byte for byte as the reference server (engine.io 6.x) writes it:
// {"code":1,"message":"Session ID unknown"}.
std::string_view eio_error_body(EioError error);
// Its HTTP status, as the reference server answers: 403 for forbidden, 400 for the others.
unsigned eio_error_status(EioError error);

}  // namespace switchboard::socketio
