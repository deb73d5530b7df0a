#pragma once
// Socket.IO binary attachments, both ways. A BINARY_EVENT (or BINARY_ACK) is a header packet
// whose JSON holds {"_placeholder":true,"num":k} objects, followed by as many Engine.IO binary
// messages as its attachment count, the k-th (from 0) standing where num is k:
//   51-["upload",{"_placeholder":true,"num":0}]   then one binary frame of the file's bytes.
//
// How binary reaches the gateway's JSON handlers: the gateway carries JSON only, so an
// attachment is written in place of its placeholder as {"$binary":"<standard base64>"}:
//   ["upload",{"$binary":"AQID"}]
// and the other way, every {"$binary":"<base64>"} object (that one member only) in what the
// server sends becomes a placeholder and an attachment. A client sending a literal {"$binary":…}
// object in a plain EVENT is indistinguishable to handlers, which is harmless: it is the same
// value either way.
//
// Thread safety: a BinaryAssembler is used by one thread at a time; the functions, any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/socketio/socket_io.hpp"

namespace switchboard::socketio {

enum class BinaryError {
  none,
  not_binary,             // start() given a packet other than binary_event / binary_ack
  too_many_attachments,   // a count above the assembler's limit
  bad_placeholder,        // a placeholder whose num is not an integer below the count
  unused_attachment,      // an attachment no placeholder refers to
  unreadable_json,        // data the walker cannot follow (not from parse_sio)
  unexpected_attachment,  // add() with no packet collecting
  too_large,              // attachments over the assembler's byte limit
};

std::string_view describe(BinaryError error);

// Collects one binary packet at a time: start() with the parsed header, add() each binary
// frame; once complete(), assembled_json() is the data with attachments in place. Any error
// ends the packet (collecting() and complete() are then false) and is returned by the call
// that met it; start() again for the next packet.
class BinaryAssembler {
 public:
  // Limits per packet: how many attachments, and how many bytes in all of them.
  BinaryAssembler(std::size_t max_attachments, std::size_t max_total_bytes);

  // Begins `header` (parse_sio accepted it), replacing any packet in progress. The header's
  // namespace and data are copied: the frames that follow outlive its text.
  BinaryError start(const SioPacket& header);
  // One attachment, in order.
  BinaryError add(std::string_view bytes);

  bool collecting() const noexcept { return state_ == State::collecting; }
  bool complete() const noexcept { return state_ == State::complete; }
  std::size_t missing() const noexcept { return expected_ - attachments_.size(); }

  // The packet as it reads once assembled: event or ack, its namespace and ack id.
  SioType type() const noexcept { return type_; }
  std::string_view nsp() const noexcept { return nsp_; }
  std::optional<std::uint64_t> id() const noexcept { return id_; }
  // The data with each placeholder replaced by {"$binary":"<base64>"}; empty unless complete().
  std::string assembled_json() const;

 private:
  enum class State { idle, collecting, complete };
  struct Placeholder {
    std::size_t offset;  // in data_
    std::size_t length;
    std::size_t num;
  };
  BinaryError fail(BinaryError error);

  std::size_t max_attachments_;
  std::size_t max_total_bytes_;
  State state_ = State::idle;
  SioType type_ = SioType::event;
  std::string nsp_;
  std::optional<std::uint64_t> id_;
  std::string data_;
  std::vector<Placeholder> placeholders_;
  std::size_t expected_ = 0;
  std::vector<std::string> attachments_;
  std::size_t total_bytes_ = 0;
};

// What encode_binary_event / encode_binary_ack did.
enum class BinaryEncoding {
  plain,       // no {"$binary":…} object: nothing written, send a plain EVENT / ACK
  binary,      // header appended, attachments filled: send the header, then each attachment
  bad_base64,  // a {"$binary":"…"} whose string is not base64: nothing written
};

// A BINARY_EVENT for server-sent binary: the header (appended to `header_out`, as the
// socket_io.hpp encoders append) with placeholders in the arguments' {"$binary":"<base64>"}
// objects' places, numbered in document order, and the decoded attachments (replacing
// `attachments_out`). `args_json` are valid JSON texts.
BinaryEncoding encode_binary_event(std::string& header_out,
                                   std::vector<std::string>& attachments_out, std::string_view nsp,
                                   std::optional<std::uint64_t> id, std::string_view event_name,
                                   std::span<const std::string_view> args_json);
// The same for an ACK's arguments: a BINARY_ACK.
BinaryEncoding encode_binary_ack(std::string& header_out, std::vector<std::string>& attachments_out,
                                 std::string_view nsp, std::uint64_t id,
                                 std::span<const std::string_view> args_json);

}  // namespace switchboard::socketio
