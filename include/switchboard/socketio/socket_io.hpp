#pragma once
// Socket.IO protocol v5 packets (https://socket.io/docs/v4/socket-io-protocol/), the grammar of
// the reference parser (socket.io-parser 4.x):
//   <type digit>[<attachments>-][/<namespace>,][<ack id>][<JSON data>]
// e.g. 2/chat,12["message",{"text":"hi"}]. A pure codec: no I/O, no session state.
//
// Layering: these are Socket.IO packets only. Each travels in an Engine.IO message packet, so
// on the wire it is preceded by '4' (engine_io.hpp): a parser is given the text after it, and a
// sender calls begin_eio_message(out) and then an encoder below, which appends to the same
// string. Binary attachments follow as separate Engine.IO messages (binary_attachments.hpp).
//
// JSON stays raw: `data` and event arguments are views of the text as received, validated
// (RFC 8259 and protocol::kMaxJsonDepth) but neither parsed into documents nor re-serialised;
// encoders take arguments as JSON texts that the caller guarantees are valid.
//
// Thread safety: every function may be called on any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::socketio {

enum class SioType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

// The largest ack id: ids are JavaScript numbers on the reference side, exact up to 2^53 - 1.
inline constexpr std::uint64_t kMaxAckId = (std::uint64_t{1} << 53) - 1;

struct SioPacket {
  SioType type = SioType::connect;
  std::string_view nsp = "/";
  std::optional<std::uint64_t> id;
  std::size_t attachments = 0;  // binary_event / binary_ack only: the binary frames to follow
  std::string_view data;        // the raw JSON text after the header; empty when there is none
};

enum class SioError {
  none,
  bad_type,         // empty, or not a digit 0-6
  bad_attachments,  // a binary packet's count missing, not followed by '-', 0, or over the limit
  bad_namespace,    // a namespace with no ',' before the data an event needs
  bad_id,           // an ack id above kMaxAckId
  bad_json,         // data that is not valid JSON, or nested deeper than kMaxJsonDepth
  bad_payload,      // valid JSON of the wrong shape for the packet type
};

struct SioParse {
  SioPacket packet;
  SioError error = SioError::none;
  std::string_view detail;  // a sentence for logs and the client when error != none
  bool ok() const noexcept { return error == SioError::none; }
};

// Parses one Socket.IO packet (the text of an Engine.IO message, without its '4'). Views point
// into `text`. Rules, those of the reference decoder except where noted:
//   - binary types carry a count of 1..max_attachments followed by '-';
//   - a namespace starts with '/' and ends at ',' or at the end of the text ("0/admin" is a
//     CONNECT to /admin, as the reference reads it);
//   - an ack id is decimal digits, at most kMaxAckId (the reference reads larger ids inexactly);
//   - CONNECT: no data or an object; DISCONNECT: no data; CONNECT_ERROR: no data, an object or
//     a string; ACK / BINARY_ACK: no data (no arguments) or an array;
//   - EVENT / BINARY_EVENT: an array whose first element is a number or a string other than the
//     names the reference reserves (connect, connect_error, disconnect, disconnecting,
//     newListener, removeListener). Unlike the reference, an event without data is refused:
//     an event has a name.
SioParse parse_sio(std::string_view text, std::size_t max_attachments);

// Whether `name` is one of the event names the reference reserves (listed above).
bool is_reserved_event_name(std::string_view name);

// An EVENT's data array cut into its name and its arguments' raw JSON texts, without
// re-serialising: `args` (replaced) view into `array_json`; `name` views into `array_json` when
// the name has no escapes, else into `name_buffer`, which receives the decoded name. A numeric
// first element (the reference allows it) gives its JSON text as the name. `array_json` must be
// the data of a packet parse_sio accepted as an event; false when it is not an array with a
// string or number first.
bool split_event(std::string_view array_json, std::string& name_buffer, std::string_view& name,
                 std::vector<std::string_view>& args);

// Encoders: each appends one packet to `out`. `nsp` "/" (or empty) writes no namespace part.
// JSON arguments must be valid JSON texts; names and messages are escaped here.

// 0{"sid":"…"}: the server's answer to a CONNECT.
void append_connect(std::string& out, std::string_view nsp, std::string_view sid);
// 4{"message":"…","data":…}: the server refusing a CONNECT; "data" omitted when `data_json` is
// empty (as JSON.stringify omits an undefined err.data).
void append_connect_error(std::string& out, std::string_view nsp, std::string_view message,
                          std::string_view data_json = {});
// 2/nsp,12["name",arg1,arg2]: `id` when the sender wants an ack.
void append_event(std::string& out, std::string_view nsp, std::optional<std::uint64_t> id,
                  std::string_view event_name, std::span<const std::string_view> args_json);
// 3/nsp,12[arg1,arg2]: the answer to the client's event `id`.
void append_ack(std::string& out, std::string_view nsp, std::uint64_t id,
                std::span<const std::string_view> args_json);
// 1/nsp,: the server disconnecting the client from a namespace.
void append_disconnect(std::string& out, std::string_view nsp);

// The packet header up to (not including) the data: type, "<attachments>-" for binary types,
// "/nsp," and the id. For encoders of other shapes (binary_attachments.hpp).
void append_sio_header(std::string& out, SioType type, std::string_view nsp,
                       std::optional<std::uint64_t> id, std::size_t attachments = 0);

}  // namespace switchboard::socketio
