#pragma once
// A native session's transport: its own WebSocket connection.
#include "direct_recipient.hpp"
#include "session_transport.hpp"

namespace switchboard::node {

class WebSocketTransport final : public SessionTransport {
 public:
  explicit WebSocketTransport(net::Connection& connection) noexcept : connection_(connection) {}

  void send_text(std::string_view text) override;
  void send(const ws::OutboundMessage& message) override;
  ws::SharedFrame frame_of(const ws::OutboundMessage& message) const override;
  void send_frame(const ws::SharedFrame& frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void* direct_target() noexcept override {
    return direct_recipient(&connection_, DirectFrame::native);
  }

 private:
  net::Connection& connection_;
};

}  // namespace switchboard::node
