#pragma once
// The native protocol's endpoint on one worker (ws_path): each WebSocket upgrade opens a
// NativeProtocol session on its own connection, in the worker's gateway. It is also what drives
// the worker gateway's sweep: the gateway's endpoint is always there (Socket.IO's only when
// enabled), and its sweep reaches every session of the worker, whatever it speaks.
#include <memory>
#include <optional>
#include <string>

#include "session_opening.hpp"
#include "switchboard/auth/identity.hpp"
#include "switchboard/net/endpoint.hpp"

namespace switchboard::node {

class WorkerGateway;

class NativeEndpoint final : public net::Endpoint {
 public:
  explicit NativeEndpoint(WorkerGateway& gateway) noexcept : gateway_(gateway) {}

  std::optional<http::Response> on_upgrade(const http::Request& request,
                                           net::Connection& connection) override;
  void on_open(net::Connection& connection) override;
  void on_message(net::Connection& connection, ws::Opcode op, std::string_view payload) override;
  void on_close(net::Connection& connection, std::uint16_t code) override;
  void on_sweep(std::uint32_t now) override;

 private:
  WorkerGateway& gateway_;
  // Carried from on_upgrade to on_open, which the transport calls back to back.
  std::string upgrade_token_;
  std::string upgrade_ip_;
  std::optional<auth::Identity> upgrade_identity_;  // established by the host (Gateway::adopt)
  std::shared_ptr<const ForwardedHeaders> upgrade_headers_;
};

}  // namespace switchboard::node
