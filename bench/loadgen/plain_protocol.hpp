// Raw WebSocket: every text message is a publish and every text message received is a
// payload. What the /broadcast endpoints of Switchboard, uWebSockets.js and ws speak.
#pragma once

#include "protocol.hpp"

namespace switchboard::bench {

class PlainProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "plain"; }
  std::string request_target(std::string_view path) const override;
  std::uint8_t on_open(MessageSink& sink) const override;
  ProtocolEvent on_message(std::uint8_t& phase, std::string_view message,
                           MessageSink& sink) const override;
  void append_publish(std::string& out, std::string_view payload) const override;
};

}  // namespace switchboard::bench
