#pragma once
// permessage-deflate (RFC 7692): extension negotiation and the zlib streams.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::ws {

// Server-side configuration of the extension.
struct DeflateConfig {
  bool enabled = false;
  // Offer server_no_context_takeover: every message is compressed independently, so a
  // broadcast is compressed once and the same bytes are valid for every recipient.
  bool server_no_context_takeover = true;
  int server_max_window_bits = 15;  // 8..15 (zlib cannot produce 8; 9 is used instead)
  // Ask clients for client_no_context_takeover when they offer it, so the server's inflate
  // state can be freed between messages (memory per idle connection).
  bool request_client_no_context_takeover = true;
  std::size_t min_size = 64;  // messages shorter than this are sent uncompressed
};

// The parameters agreed with one client.
struct DeflateAgreement {
  bool server_no_context_takeover = true;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
  // Whether the response names the window sizes: a server must echo server_max_window_bits
  // when the offer had it, and must not send client_max_window_bits unless the offer had it
  // (RFC 7692 §7.1.2).
  bool announce_server_max_window_bits = false;
  bool announce_client_max_window_bits = false;
  // The Sec-WebSocket-Extensions response value, e.g.
  // "permessage-deflate; server_no_context_takeover; client_no_context_takeover".
  std::string response_header() const;
};

// Picks the first acceptable permessage-deflate offer in a Sec-WebSocket-Extensions header
// (which may list several extensions and several offers, comma separated, with parameters).
// Returns nullopt when deflate is disabled, not offered, or no offer is acceptable (offers
// with unknown or malformed parameters are declined, not failed: RFC 7692 §5).
std::optional<DeflateAgreement> negotiate_deflate(std::string_view extensions_header,
                                                  const DeflateConfig& config);

// Decompresses messages from one client. Holds zlib state (tens of KiB), so it is created
// only for connections that negotiated the extension, and its stream is released between
// messages when client_no_context_takeover was agreed.
class Inflater {
 public:
  explicit Inflater(const DeflateAgreement& agreement);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates one piece of a compressed message, appending to `out`. `final_piece` marks the
  // end of the message (the 0x00 0x00 0xff 0xff tail is added here). Returns false on a
  // corrupt stream or when `out` would exceed `max_size` bytes (the caller tells which by
  // checking out.size()).
  bool inflate(std::string_view in, bool final_piece, std::string& out, std::size_t max_size);

 private:
  struct Impl;
  Impl* impl_;
  DeflateAgreement agreement_;
};

// Compresses whole messages with no context takeover (every message independent).
// One per worker is enough; not thread-safe.
class Deflater {
 public:
  explicit Deflater(int window_bits = 15);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // The compressed payload of one message, without the 0x00 0x00 0xff 0xff tail.
  std::string compress(std::string_view message);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace switchboard::ws
