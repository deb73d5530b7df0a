#pragma once
// Test helpers: encode client frames (masked, any length form) and record reader events.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/ws/message_reader.hpp"

namespace switchboard::ws::test {

struct ClientFrame {
  std::uint8_t opcode = 0x1;
  std::string payload;
  bool fin = true;
  bool rsv1 = false;
  std::uint8_t extra_b0 = 0;  // raw bits OR-ed into the first byte (RSV2/RSV3)
  bool masked = true;
  int length_bits = 0;  // 0: minimal; 7, 16 or 64 forces that form
  std::array<std::uint8_t, 4> key = {0x37, 0xFA, 0x21, 0x3D};
};

// The bytes a client would send for `f`.
inline std::string encode(const ClientFrame& f) {
  std::string out;
  out.push_back(
      static_cast<char>((f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | f.extra_b0 | f.opcode));
  const std::uint64_t n = f.payload.size();
  int form = f.length_bits;
  if (form == 0) form = n < 126 ? 7 : (n <= 0xFFFF ? 16 : 64);
  const char mask_bit = f.masked ? static_cast<char>(0x80) : 0;
  if (form == 7) {
    out.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
  } else if (form == 16) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  if (f.masked) {
    for (std::uint8_t k : f.key) out.push_back(static_cast<char>(k));
  }
  for (std::size_t i = 0; i < f.payload.size(); ++i) {
    const std::uint8_t k = f.masked ? f.key[i % 4] : 0;
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(f.payload[i]) ^ k));
  }
  return out;
}

inline std::string text(std::string payload, bool fin = true) {
  ClientFrame f;
  f.opcode = 0x1;
  f.payload = std::move(payload);
  f.fin = fin;
  return encode(f);
}

inline std::string frame(std::uint8_t opcode, std::string payload, bool fin = true) {
  ClientFrame f;
  f.opcode = opcode;
  f.payload = std::move(payload);
  f.fin = fin;
  return encode(f);
}

inline std::string close_body(std::uint16_t code, std::string_view reason = {}) {
  std::string body;
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xFF));
  body.append(reason);
  return body;
}

struct Event {
  enum Kind { kMessage, kPing, kPong, kClose } kind;
  Opcode op = Opcode::continuation;
  std::string payload;
  std::uint16_t code = 0;
  bool operator==(const Event&) const = default;
};

// Records events; remembers where each message's bytes lived (to check zero-copy).
class Recorder : public MessageHandler {
 public:
  void on_message(Opcode op, std::string_view payload) override {
    events.push_back({Event::kMessage, op, std::string(payload), 0});
    message_data.push_back(payload.data());
  }
  void on_ping(std::string_view payload) override {
    events.push_back({Event::kPing, Opcode::ping, std::string(payload), 0});
  }
  void on_pong(std::string_view payload) override {
    events.push_back({Event::kPong, Opcode::pong, std::string(payload), 0});
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back({Event::kClose, Opcode::close, std::string(reason), code});
  }
  std::vector<Event> events;
  std::vector<const char*> message_data;
};

// Feeds `bytes` in pieces cut at `cuts` (ascending offsets), each piece in its own buffer
// as a socket read would be. Returns the first error.
inline ReadError feed_pieces(MessageReader& reader, const std::string& bytes,
                             const std::vector<std::size_t>& cuts, MessageHandler& handler) {
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (std::size_t end : ends) {
    std::vector<std::uint8_t> piece(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(end));
    if (ReadError e = reader.feed(piece.data(), piece.size(), handler)) return e;
    start = end;
  }
  return {};
}

inline ReadError feed_all(MessageReader& reader, const std::string& bytes,
                          MessageHandler& handler) {
  return feed_pieces(reader, bytes, {}, handler);
}

}  // namespace switchboard::ws::test
