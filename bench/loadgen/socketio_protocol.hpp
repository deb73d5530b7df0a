// Engine.IO v4 / Socket.IO v5 over the websocket transport only (no long-polling upgrade):
// the server opens with `0{...}`, the client joins the default namespace with `40` and
// waits for `40{...}`; Engine.IO pings (`2`) are answered with pongs (`3`). Payloads are
// plain ASCII without quotes or backslashes, so they travel as JSON strings unescaped.
//
// Two servers speak it here:
//   - the Socket.IO peer (bench/peers/socketio.js): events are `42["message","<payload>"]`,
//     one emit from any client is broadcast to all;
//   - Switchboard's gateway with --socketio (SocketIoGateway): each connection sends its own
//     HS256 JWT (user "bench-<n>") in the CONNECT, `40{"token":"…"}`, then subscribes with
//     `42["subscribe",{"channel":"<channel>"}]` and is ready at `42["subscribed",…]`; a
//     publish is `42["publish",{"channel":"<channel>","data":"<payload>"}]` (the gateway's
//     client publish) and arrives as `42["message.new","<payload>"]`. Server flags it needs:
//     those of the switchboard protocol (switchboard_protocol.hpp) and --socketio.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "protocol.hpp"

namespace switchboard::bench {

struct SocketIoGateway {
  std::string jwt_secret;
  std::string channel;
};

class SocketIoProtocol final : public Protocol {
 public:
  SocketIoProtocol();  // the Socket.IO peer
  explicit SocketIoProtocol(SocketIoGateway gateway);

  std::string_view name() const override {
    return gateway_ ? "switchboard-socketio" : "socketio";
  }
  std::string request_target(std::string_view path) const override;
  std::uint8_t on_open(MessageSink& sink) const override;
  ProtocolEvent on_message(std::uint8_t& phase, std::string_view message,
                           MessageSink& sink) const override;
  void append_publish(std::string& out, std::string_view payload) const override;

 private:
  // The namespace's CONNECT: `40`, or with the next user's token.
  std::string connect_packet() const;

  std::optional<SocketIoGateway> gateway_;
  std::string event_prefix_;  // `42["<event name of a payload>","`
  mutable std::atomic<std::uint64_t> next_user_{0};
};

}  // namespace switchboard::bench
