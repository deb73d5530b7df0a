// Engine.IO v4 / Socket.IO v5 over the websocket transport only (no long-polling upgrade):
// the server opens with `0{...}`, the client joins the default namespace with `40` and
// waits for `40{...}`; events are `42["message","<payload>"]`; Engine.IO pings (`2`) are
// answered with pongs (`3`). Payloads are plain ASCII without quotes or backslashes, so
// they travel as JSON strings unescaped.
#pragma once

#include "protocol.hpp"

namespace switchboard::bench {

class SocketIoProtocol final : public Protocol {
 public:
  std::string_view name() const override { return "socketio"; }
  std::string request_target(std::string_view path) const override;
  std::uint8_t on_open(MessageSink& sink) const override;
  ProtocolEvent on_message(std::uint8_t& phase, std::string_view message,
                           MessageSink& sink) const override;
  void append_publish(std::string& out, std::string_view payload) const override;
};

}  // namespace switchboard::bench
