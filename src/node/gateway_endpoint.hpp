#pragma once
// The gateway's WebSocket endpoint on one worker: its sessions, its shard of the hub, its
// typing indicators. The node posts deliveries here; everything else happens on the worker.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_counters.hpp"
#include "node.hpp"
#include "switchboard/hub/hub.hpp"
#include "switchboard/net/endpoint.hpp"
#include "typing_tracker.hpp"

namespace switchboard::net {
class Worker;
}

namespace switchboard::node {

class Protocol;
class Session;
class SocketIoEndpoint;

// A random (version 4) UUID: session ids are opaque to clients (seed 001: "uuid-session-id").
std::string new_session_id();
// The token offered at upgrade: Authorization: Bearer, then ?token=, then the `token` cookie
// (seed 004 authenticates the upgrade request itself).
std::string upgrade_token(const http::Request& request);

class GatewayEndpoint final : public net::Endpoint {
 public:
  GatewayEndpoint(Node& node, net::Worker& worker);
  ~GatewayEndpoint() override;

  // net::Endpoint
  std::optional<http::Response> on_upgrade(const http::Request& request,
                                           net::Connection& connection) override;
  void on_open(net::Connection& connection) override;
  void on_message(net::Connection& connection, ws::Opcode op, std::string_view payload) override;
  void on_close(net::Connection& connection, std::uint16_t code) override;
  void on_sweep(std::uint32_t now) override;

  // Posted by the node.
  void deliver(const DeliveryPtr& delivery);
  // The broker lost its subscription to `channel` and has it again: every local subscriber
  // recovers what did not arrive meanwhile.
  void subscription_restored(const std::string& channel);
  void disconnect_user(const std::string& user_id, std::uint16_t code, const std::string& reason);

  Node& node() noexcept { return node_; }
  net::Worker& worker() noexcept { return worker_; }
  hub::Hub& hub() noexcept { return hub_; }
  TypingTracker& typing() noexcept { return typing_; }
  GatewayCounters& counters() noexcept { return counters_; }
  const GatewayCounters& counters() const noexcept { return counters_; }
  std::size_t session_count() const noexcept { return sessions_.size(); }

  // The worker's sessions, whatever carries them (another endpoint's, such as Socket.IO's, are
  // added here too: broadcasts, disconnects and sweeps reach every session of the worker).
  // A removed session is freed on a later loop turn.
  void add_session(std::shared_ptr<Session> session);
  // Counts a new connection from `ip` (max_connections_per_ip), or gives the refusal (429
  // with Retry-After) when the address holds its share; Node::ip_disconnected undoes it.
  std::optional<http::Response> admit_address(const std::string& ip);
  void remove_session(Session& session);

  // The worker's Socket.IO endpoint, when there is one (a polling request arriving on another
  // worker is served by the one its session lives on).
  SocketIoEndpoint* socketio() const noexcept { return socketio_; }

  // The id of the request whose event handler is running on this worker (what the handler's
  // Client::reply answers); handlers run one at a time, synchronously.
  std::string_view dispatching_id;
  void set_socketio(SocketIoEndpoint* endpoint) noexcept { socketio_ = endpoint; }
  // Whose publication frames the fast path sends to Socket.IO root-namespace sessions on a
  // WebSocket (DirectFrame::socketio_root); set with the Socket.IO endpoint.
  void set_socketio_root(Protocol* publications) noexcept { socketio_root_ = publications; }

 private:

  Node& node_;
  net::Worker& worker_;
  hub::Hub hub_;
  TypingTracker typing_;
  GatewayCounters counters_;
  std::vector<std::shared_ptr<Session>> sessions_;
  SocketIoEndpoint* socketio_ = nullptr;
  Protocol* socketio_root_ = nullptr;
  // Carried from on_upgrade to on_open, which the transport calls back to back.
  std::string upgrade_token_;
  std::string upgrade_ip_;
};

}  // namespace switchboard::node
