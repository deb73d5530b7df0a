// Client-frame parser (RFC 6455 §5): header validation as early as the bytes allow, in-place
// unmasking, zero-copy delivery of messages that arrive whole, reassembly otherwise.
#include "switchboard/ws/message_reader.hpp"

#include <algorithm>
#include <cstring>

#include "switchboard/ws/close_code.hpp"
#include "switchboard/ws/deflate.hpp"

namespace switchboard::ws {
namespace {

// flags_ bits.
constexpr std::uint8_t kInPayload = 0x01;   // header complete, payload bytes pending
constexpr std::uint8_t kFin = 0x02;         // the current frame has FIN
constexpr std::uint8_t kMasked = 0x04;      // the current frame has a mask key
constexpr std::uint8_t kCompressed = 0x08;  // the open message has RSV1 (permessage-deflate)
constexpr std::uint8_t kClosed = 0x10;      // a close frame was received
constexpr std::uint8_t kFailed = 0x20;      // a protocol error was reported

constexpr std::size_t kMaxControlPayload = 125;

ReadError protocol_error(const char* reason) {
  return {close_code::kProtocolError, reason};
}
ReadError invalid_payload(const char* reason) {
  return {close_code::kInvalidPayload, reason};
}
ReadError too_big() {
  return {close_code::kMessageTooBig, "message too big"};
}

// 2, 4 or 10 bytes of base header and length, plus the mask key when present.
std::size_t header_length(std::uint8_t b1) noexcept {
  const std::uint8_t len7 = b1 & 0x7F;
  const std::size_t base = len7 == 126 ? 4 : (len7 == 127 ? 10 : 2);
  return base + ((b1 & 0x80) ? 4 : 0);
}

bool is_known_opcode(std::uint8_t op) noexcept {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

std::string_view as_view(const std::uint8_t* p, std::size_t n) noexcept {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

MessageReader::MessageReader(ReaderLimits limits) noexcept : limits_(limits) {}

MessageReader::~MessageReader() = default;

void MessageReader::enable_deflate(std::unique_ptr<Inflater> inflater) {
  inflater_ = std::move(inflater);
}

bool MessageReader::idle() const noexcept {
  return header_size_ == 0 && (flags_ & kInPayload) == 0 && message_op_ == Opcode::continuation;
}

bool MessageReader::closed() const noexcept {
  return (flags_ & kClosed) != 0;
}

ReadError MessageReader::feed(std::uint8_t* data, std::size_t size, MessageHandler& handler) {
  if (flags_ & kFailed) return {error_code_, error_reason_};
  if (flags_ & kClosed) return {};
  std::size_t pos = 0;
  for (;;) {
    bool fresh = false;  // the header was parsed in this iteration: no payload consumed yet
    if ((flags_ & kInPayload) == 0) {
      if (pos == size) break;
      if (ReadError e = read_header(data, size, pos)) return fail(e);
      if ((flags_ & kInPayload) == 0) break;  // the header continues in the next read
      fresh = true;
    } else if (pos == size) {
      break;
    }
    // A zero-length frame completes right here, with n == 0.
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(size - pos, frame_remaining_));
    std::uint8_t* payload = data + pos;
    pos += n;
    if (flags_ & kMasked) unmask(payload, n);
    const bool whole = fresh && n == frame_remaining_;
    if (ReadError e = on_payload(payload, n, whole, handler)) return fail(e);
    if (flags_ & kClosed) break;  // nothing after a close frame is read
  }
  return {};
}

ReadError MessageReader::read_header(const std::uint8_t* data, std::size_t size, std::size_t& pos) {
  if (header_size_ == 0 && size - pos >= 2) {
    // Common case: the whole header is in this read; parse it where it lies.
    if (ReadError e = check_first_bytes(data[pos], data[pos + 1])) return e;
    const std::size_t need = header_length(data[pos + 1]);
    if (size - pos >= need) {
      const std::uint8_t* header = data + pos;
      pos += need;
      return start_frame(header);
    }
  }
  // The header is split across reads: gather it, checking the first two bytes as soon as
  // they are here so that a bad frame fails before its length or mask arrives.
  while (pos < size) {
    header_[header_size_++] = data[pos++];
    if (header_size_ < 2) continue;
    if (header_size_ == 2) {
      if (ReadError e = check_first_bytes(header_[0], header_[1])) return e;
    }
    if (header_size_ == header_length(header_[1])) {
      header_size_ = 0;
      return start_frame(header_);
    }
  }
  return {};
}

ReadError MessageReader::check_first_bytes(std::uint8_t b0, std::uint8_t b1) const noexcept {
  const bool fin = (b0 & 0x80) != 0;
  const bool rsv1 = (b0 & 0x40) != 0;
  const std::uint8_t op = b0 & 0x0F;
  if (b0 & 0x30) return protocol_error("reserved bits set");
  if (!is_known_opcode(op)) return protocol_error("reserved opcode");
  if (is_control(static_cast<Opcode>(op))) {
    if (!fin) return protocol_error("fragmented control frame");
    if ((b1 & 0x7F) > kMaxControlPayload) return protocol_error("control frame too long");
    if (rsv1) return protocol_error("RSV1 on a control frame");
  } else if (op == static_cast<std::uint8_t>(Opcode::continuation)) {
    if (message_op_ == Opcode::continuation) return protocol_error("continuation without message");
    // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
    if (rsv1) return protocol_error("RSV1 on a continuation frame");
  } else {
    if (message_op_ != Opcode::continuation) return protocol_error("message inside a message");
    if (rsv1 && !inflater_) return protocol_error("RSV1 without permessage-deflate");
  }
  if ((b1 & 0x80) == 0 && limits_.require_mask) return protocol_error("unmasked client frame");
  return {};
}

ReadError MessageReader::start_frame(const std::uint8_t* header) {
  const std::uint8_t b0 = header[0];
  const std::uint8_t b1 = header[1];
  const std::uint8_t len7 = b1 & 0x7F;
  std::uint64_t length = len7;
  std::size_t offset = 2;
  // Non-minimal length encodings are accepted: RFC 6455 §5.2 asks senders for the minimal
  // form but gives receivers no rule to reject others.
  if (len7 == 126) {
    length = (std::uint64_t{header[2]} << 8) | header[3];
    offset = 4;
  } else if (len7 == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | header[2 + i];
    if (length >> 63) return protocol_error("64-bit length with the high bit set");
    offset = 10;
  }
  flags_ &= static_cast<std::uint8_t>(~(kFin | kMasked));
  if (b0 & 0x80) flags_ |= kFin;
  if (b1 & 0x80) {
    std::memcpy(mask_, header + offset, 4);
    flags_ |= kMasked;
  }
  mask_offset_ = 0;
  frame_op_ = static_cast<Opcode>(b0 & 0x0F);
  if (is_control(frame_op_)) {
    control_size_ = static_cast<std::uint8_t>(length);
  } else {
    if (frame_op_ != Opcode::continuation) {
      message_op_ = frame_op_;
      if (b0 & 0x40) flags_ |= kCompressed;
    }
    // Fail as soon as the header announces too much. A compressed frame's size says nothing
    // about the inflated size; the inflater enforces the limit on its output instead.
    if ((flags_ & kCompressed) == 0 && length > limits_.max_message_size - message_.size()) {
      return too_big();
    }
  }
  frame_remaining_ = length;
  flags_ |= kInPayload;
  return {};
}

ReadError MessageReader::on_payload(std::uint8_t* p, std::size_t n, bool whole,
                                    MessageHandler& handler) {
  frame_remaining_ -= n;
  const bool frame_done = frame_remaining_ == 0;
  if (frame_done) flags_ &= static_cast<std::uint8_t>(~kInPayload);
  if (is_control(frame_op_)) return on_control_payload(p, n, whole, frame_done, handler);
  return on_data_payload(p, n, whole, frame_done, handler);
}

ReadError MessageReader::on_control_payload(std::uint8_t* p, std::size_t n, bool whole,
                                            bool frame_done, MessageHandler& handler) {
  if (whole) return deliver_control(as_view(p, n), handler);
  // A control frame split across reads (possibly in the middle of a fragmented message):
  // park its bytes after the open message's bytes, then take them back out.
  message_.append(reinterpret_cast<const char*>(p), n);
  if (!frame_done) return {};
  char copy[kMaxControlPayload];
  const std::size_t start = message_.size() - control_size_;
  std::memcpy(copy, message_.data() + start, control_size_);
  message_.resize(start);
  if (message_op_ == Opcode::continuation) std::string().swap(message_);
  return deliver_control(std::string_view(copy, control_size_), handler);
}

ReadError MessageReader::deliver_control(std::string_view payload, MessageHandler& handler) {
  switch (frame_op_) {
    case Opcode::ping:
      handler.on_ping(payload);
      return {};
    case Opcode::pong:
      handler.on_pong(payload);
      return {};
    default:
      break;
  }
  // Close (RFC 6455 §5.5.1, §7.4): empty, or a valid code and a UTF-8 reason.
  if (payload.size() == 1) return protocol_error("close frame with a 1-byte body");
  std::uint16_t code = close_code::kNoStatus;
  std::string_view reason;
  if (!payload.empty()) {
    code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
    if (!close_code::is_valid_on_wire(code)) return protocol_error("invalid close code");
    reason = payload.substr(2);
    if (!is_valid_utf8(reason)) return invalid_payload("close reason is not UTF-8");
  }
  flags_ |= kClosed;
  drop_message();
  handler.on_close(code, reason);
  return {};
}

ReadError MessageReader::on_data_payload(std::uint8_t* p, std::size_t n, bool whole,
                                         bool frame_done, MessageHandler& handler) {
  const bool last = frame_done && (flags_ & kFin) != 0;
  const bool text = message_op_ == Opcode::text;
  if (flags_ & kCompressed) {
    const std::size_t before = message_.size();
    if (!inflater_->inflate(as_view(p, n), last, message_, limits_.max_message_size)) {
      if (message_.size() > limits_.max_message_size) return too_big();
      return invalid_payload("invalid compressed data");
    }
    if (text && !utf8_.feed(reinterpret_cast<const std::uint8_t*>(message_.data()) + before,
                            message_.size() - before)) {
      return invalid_payload("invalid UTF-8");
    }
  } else if (whole && last && frame_op_ != Opcode::continuation) {
    // Zero-copy: an unfragmented message entirely inside this read.
    const std::string_view payload = as_view(p, n);
    if (text && !is_valid_utf8(payload)) return invalid_payload("invalid UTF-8");
    message_op_ = Opcode::continuation;
    handler.on_message(text ? Opcode::text : Opcode::binary, payload);
    return {};
  } else {
    // Validate before copying, so invalid text fails on its first bad byte.
    if (text && !utf8_.feed(p, n)) return invalid_payload("invalid UTF-8");
    append_message(p, n);
  }
  if (!last) return {};
  if (text && !utf8_.complete()) return invalid_payload("truncated UTF-8");
  const Opcode op = message_op_;
  message_op_ = Opcode::continuation;
  flags_ &= static_cast<std::uint8_t>(~kCompressed);
  utf8_.reset();
  handler.on_message(op, message_);
  std::string().swap(message_);  // an idle connection holds no heap
  return {};
}

void MessageReader::append_message(const std::uint8_t* p, std::size_t n) {
  const std::size_t need = message_.size() + n;
  if (need > message_.capacity()) {
    // The rest of this frame is known to fit the limit: reserve it, and grow geometrically
    // (capped at the limit) so that many small fragments do not copy quadratically.
    const std::size_t frame_rest = static_cast<std::size_t>(frame_remaining_);
    const std::size_t doubled = std::min(2 * message_.capacity(), limits_.max_message_size);
    message_.reserve(std::max(need + frame_rest, doubled));
  }
  message_.append(reinterpret_cast<const char*>(p), n);
}

void MessageReader::unmask(std::uint8_t* p, std::size_t n) noexcept {
  // The key rotated to the current offset, repeated to eight bytes: XOR a word at a time.
  std::uint8_t key[8];
  for (int i = 0; i < 8; ++i) key[i] = mask_[(mask_offset_ + i) & 3];
  std::uint64_t word_key;
  std::memcpy(&word_key, key, sizeof word_key);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, sizeof word);
    word ^= word_key;
    std::memcpy(p + i, &word, sizeof word);
  }
  for (; i < n; ++i) p[i] ^= key[i & 7];
  mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + n) & 3);
}

void MessageReader::drop_message() noexcept {
  std::string().swap(message_);
  message_op_ = Opcode::continuation;
  flags_ &= static_cast<std::uint8_t>(~(kCompressed | kInPayload));
  header_size_ = 0;
  utf8_.reset();
}

ReadError MessageReader::fail(ReadError error) noexcept {
  drop_message();
  flags_ |= kFailed;
  error_code_ = error.code;
  error_reason_ = error.reason.data();
  return error;
}

}  // namespace switchboard::ws
