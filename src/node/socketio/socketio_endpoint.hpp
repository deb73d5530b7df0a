#pragma once
// The Socket.IO endpoint on one worker (`socketio_path`): accepts Engine.IO WebSocket
// connections and keeps them; their namespace sessions live in the worker's GatewayEndpoint
// with every other session, so that channels, users and broadcasts reach them alike.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socketio_protocol.hpp"
#include "switchboard/net/endpoint.hpp"

namespace switchboard::node {

class EngineIoSocket;
class GatewayEndpoint;

class SocketIoEndpoint final : public net::Endpoint {
 public:
  explicit SocketIoEndpoint(GatewayEndpoint& gateway);
  ~SocketIoEndpoint() override;

  std::optional<http::Response> on_upgrade(const http::Request& request,
                                           net::Connection& connection) override;
  void on_open(net::Connection& connection) override;
  void on_message(net::Connection& connection, ws::Opcode op, std::string_view payload) override;
  void on_close(net::Connection& connection, std::uint16_t code) override;
  void on_sweep(std::uint32_t now) override;

  GatewayEndpoint& gateway() noexcept { return gateway_; }
  // The worker's publication frames for `nsp`, or nullptr when it is not a configured namespace.
  SocketIoFrames* frames(std::string_view nsp) noexcept;

 private:
  GatewayEndpoint& gateway_;
  std::vector<std::unique_ptr<SocketIoFrames>> frames_;  // "/" first, then the configured ones
  std::vector<std::shared_ptr<EngineIoSocket>> sockets_;
  // Carried from on_upgrade to on_open, which the transport calls back to back.
  std::string upgrade_token_;
  std::string upgrade_ip_;
};

}  // namespace switchboard::node
