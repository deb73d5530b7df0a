#pragma once
// The native protocol: one JSON envelope per WebSocket text message (docs/protocol.md),
//   {"type", "channel"?, "id"?, "payload"?}
// Publications are the frames the node built once for every native recipient (Node::frame),
// and a message is acknowledged by its publication id. Stateless: one instance serves every
// native session.
#include "client_protocol.hpp"

namespace switchboard::node {

class NativeProtocol final : public Protocol {
 public:
  static NativeProtocol& instance() noexcept;

  Decoded decode(std::string_view text) override;
  void encode(std::string& out, const Outgoing& message) override;
  void encode_error(std::string& out, std::string_view payload, std::string_view ref) override;
  void encode_started(std::string& out, const SessionInfo& info) override;
  const ws::OutboundMessage& publication(const DeliveryPtr& delivery) override;
  std::string ack_key(const Delivery& delivery) const override;
  std::string_view transport() const noexcept override { return "websocket"; }
};

}  // namespace switchboard::node
