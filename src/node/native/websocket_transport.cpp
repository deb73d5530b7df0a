#include "websocket_transport.hpp"

#include "switchboard/net/connection.hpp"

namespace switchboard::node {

void WebSocketTransport::send_text(std::string_view text) { connection_.send_text(text); }

void WebSocketTransport::send(const ws::OutboundMessage& message) { connection_.send(message); }

ws::SharedFrame WebSocketTransport::frame_of(const ws::OutboundMessage& message) const {
  return message.for_connection(connection_.deflate());
}

void WebSocketTransport::send_frame(const ws::SharedFrame& frame) { connection_.send_frame(frame); }

void WebSocketTransport::close(std::uint16_t code, std::string_view reason) {
  connection_.close(code, reason);
}

}  // namespace switchboard::node
