#pragma once
// The Socket.IO protocol of one namespace session (docs/socketio.md): how the gateway's
// commands and replies map onto Socket.IO v5 packets inside Engine.IO v4 messages.
//   client EVENT ["type", payload] (ack id n)  ->  the command `type` with id "n"
//   client ACK n                               ->  the command `ack` {id: "n"}
//   a reply to a request with an ack id        ->  ACK n [payload]  (errors: [{"error":…}])
//   any other message of type T                ->  EVENT ["T", payload]
//   a publication of type T                    ->  EVENT ["T", payload], with an ack id when
//                                                  it requires one (Delivery::ack_number)
//   the session started / auth.error (first)   ->  CONNECT {"sid"} + EVENT connected /
//                                                  CONNECT_ERROR {message, data: {code}}
// What encode() writes may be several Engine.IO packets joined by the record separator (a
// polling payload's form; a WebSocket carrier sends each as its own message).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client_protocol.hpp"
#include "switchboard/ws/deflate.hpp"

namespace switchboard::node {

// A worker's frames of publications for one namespace: each publication encoded once for
// all of the worker's Socket.IO recipients in that namespace (a fan-out walks one channel's
// recipients for one delivery at a time, so remembering the last delivery is enough).
class SocketIoFrames {
 public:
  SocketIoFrames(std::string nsp, bool deflate, std::size_t deflate_min_size);
  const ws::OutboundMessage& frame(const DeliveryPtr& delivery);
  // The binary attachments of the last frame() (a payload with {"$binary": base64} values).
  std::span<const ws::SharedFrame> attachments() const noexcept { return attachments_; }
  const std::string& nsp() const noexcept { return nsp_; }

 private:
  std::string nsp_;
  std::unique_ptr<ws::Deflater> deflater_;
  std::size_t deflate_min_size_;
  DeliveryPtr last_;  // held: its address cannot be reused while it is remembered
  ws::OutboundMessage message_;
  std::vector<ws::SharedFrame> attachments_;
};

class SocketIoProtocol final : public Protocol {
 public:
  explicit SocketIoProtocol(SocketIoFrames& frames) noexcept : frames_(frames) {}

  Decoded decode(std::string_view text) override;
  void encode(std::string& out, const Outgoing& message) override;
  void encode_error(std::string& out, std::string_view payload, std::string_view ref) override;
  void encode_started(std::string& out, const SessionInfo& info) override;
  const ws::OutboundMessage& publication(const DeliveryPtr& delivery) override;
  std::span<const ws::SharedFrame> attachments(const DeliveryPtr& delivery) override;
  std::string ack_key(const Delivery& delivery) const override;
  bool authenticates_at_open() const noexcept override { return true; }
  std::string_view transport() const noexcept override { return "socketio"; }

  bool connected() const noexcept { return connected_; }
  const std::string& nsp() const noexcept { return frames_.nsp(); }

  // Unanswered client ack ids kept at most (the oldest is forgotten: its answer goes out as an
  // event, which the client ignores).
  static constexpr std::size_t kMaxPendingAcks = 64;

 private:
  // True (and forgotten) when `id` is a client ack id not answered yet.
  bool take_pending(std::string_view id);
  void write_event(std::string& out, std::string_view type, std::string_view payload);

  // Per connection, as little as a native session's protocol keeps (nothing): the session's
  // id is the SessionInfo's (given to encode_started), and what decode() results view is
  // thread-local (socketio_protocol.cpp).
  SocketIoFrames& frames_;
  bool connected_ = false;
  // Client ack ids not answered yet, oldest first; made by the first request with one.
  std::unique_ptr<std::vector<std::uint64_t>> pending_acks_;
};

}  // namespace switchboard::node
