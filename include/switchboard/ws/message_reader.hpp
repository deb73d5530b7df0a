#pragma once
// Streaming parser for client-to-server frames, with message reassembly, UTF-8 validation,
// size limits and permessage-deflate inflation: bytes in, complete messages and control
// frames out. It owns no read buffer: it consumes whatever the connection read, unmasks in
// place, and only copies a message's bytes when the message spans several reads or frames.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/ws/opcode.hpp"
#include "switchboard/ws/utf8.hpp"

namespace switchboard::ws {

class Inflater;

// What the reader reports. Views passed to the handler are valid only during the call.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  // A complete data message (op is text or binary). Text has been validated as UTF-8.
  virtual void on_message(Opcode op, std::string_view payload) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  virtual void on_pong(std::string_view payload) = 0;
  // A valid close frame arrived. `code` is close_code::kNoStatus when the frame had no body.
  // The reader accepts nothing after a close frame.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

struct ReaderLimits {
  std::size_t max_message_size = 8 * 1024;  // payload bytes after inflation; over → 1009
  bool require_mask = true;                 // client frames must be masked; unmasked → 1002
};

// A protocol failure: the connection must send a close frame with `code` and stop reading.
struct ReadError {
  std::uint16_t code = 0;   // 0: no error
  std::string_view reason;  // static string, safe to keep
  explicit operator bool() const noexcept { return code != 0; }
};

// Thread safety: one reader per connection, used only on that connection's worker.
//
// Errors detected (close code): unmasked client frame (1002), RSV1 without a negotiated
// extension or on a control/continuation frame, RSV2/RSV3 (1002), reserved opcodes (1002),
// control frame over 125 bytes or fragmented (1002), continuation with no message open or a
// new data frame while one is open (1002), close frame with a 1-byte body or an invalid code
// (1002), close reason not UTF-8 (1007), invalid UTF-8 in a text message (1007, as soon as
// the offending byte arrives, even mid-frame), message over max_message_size (1009, as soon
// as the header announces it), inflate failure (1007).
class MessageReader {
 public:
  explicit MessageReader(ReaderLimits limits) noexcept;
  ~MessageReader();
  MessageReader(MessageReader&&) noexcept = default;
  MessageReader& operator=(MessageReader&&) noexcept = default;

  // Enables permessage-deflate for this connection (after the handshake negotiated it):
  // frames with RSV1 are then inflated with `inflater`, which the reader owns.
  void enable_deflate(std::unique_ptr<Inflater> inflater);

  // Consumes `size` bytes (masked payload bytes are unmasked in place, hence non-const).
  // Calls `handler` for every complete event. Stops at the first error and returns it;
  // after an error or a close frame, further calls consume nothing (after an error they return
  // the same error again).
  ReadError feed(std::uint8_t* data, std::size_t size, MessageHandler& handler);

  // True when no partial frame or message is held: the connection may drop its read
  // buffer. (The reader itself then holds no heap memory.)
  bool idle() const noexcept;
  bool closed() const noexcept;

 private:
  // All parsing state lives inline (a few dozen bytes: a partial header, the mask key, the
  // remaining length, the open message's opcode, the UTF-8 state); the reassembly buffer
  // and the inflater are heap memory only while they are needed.
  // (Members are the implementation's choice; keep sizeof(MessageReader) small.)
  ReaderLimits limits_;
  Utf8Validator utf8_;
  std::string message_;                 // reassembly; empty and capacity 0 while idle
  std::unique_ptr<Inflater> inflater_;  // null unless deflate was negotiated
  std::uint64_t frame_remaining_ = 0;   // payload bytes of the current frame still to come
  std::uint8_t header_[14] = {};        // a header split across reads
  std::uint8_t header_size_ = 0;
  std::uint8_t mask_[4] = {};
  std::uint8_t mask_offset_ = 0;
  std::uint8_t flags_ = 0;  // implementation-defined bits (phase, fin, rsv1, ...)
  Opcode frame_op_ = Opcode::continuation;
  Opcode message_op_ = Opcode::continuation;  // continuation: no message open
  std::uint8_t control_size_ = 0;             // payload length of the control frame being read
  std::uint16_t error_code_ = 0;              // the failure, reported again by later feed() calls
  const char* error_reason_ = nullptr;        // static string

  ReadError read_header(const std::uint8_t* data, std::size_t size, std::size_t& pos);
  ReadError check_first_bytes(std::uint8_t b0, std::uint8_t b1) const noexcept;
  ReadError start_frame(const std::uint8_t* header);
  ReadError on_payload(std::uint8_t* p, std::size_t n, bool whole, MessageHandler& handler);
  ReadError on_control_payload(std::uint8_t* p, std::size_t n, bool whole, bool frame_done,
                               MessageHandler& handler);
  ReadError deliver_control(std::string_view payload, MessageHandler& handler);
  ReadError on_data_payload(std::uint8_t* p, std::size_t n, bool whole, bool frame_done,
                            MessageHandler& handler);
  void append_message(const std::uint8_t* p, std::size_t n);
  void unmask(std::uint8_t* p, std::size_t n) noexcept;
  void drop_message() noexcept;
  ReadError fail(ReadError error) noexcept;
};

}  // namespace switchboard::ws
