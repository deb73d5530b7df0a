#pragma once
// The gateway on one worker: its sessions, whatever protocol and carrier each speaks (the
// native endpoint's and the Socket.IO endpoint's alike), its shard of the hub, its typing
// indicators, its counters. The node posts deliveries here (WorkerSessions); everything else
// happens on the worker.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway_counters.hpp"
#include "node.hpp"
#include "switchboard/http/response.hpp"
#include "switchboard/hub/hub.hpp"
#include "typing_tracker.hpp"
#include "worker_sessions.hpp"

namespace switchboard::net {
class Server;
class Worker;
}

namespace switchboard::node {

class Protocol;
class Session;

class WorkerGateway final : public WorkerSessions {
 public:
  WorkerGateway(Node& node, net::Worker& worker);
  ~WorkerGateway();

  // WorkerSessions (posted by the node)
  void deliver(const DeliveryPtr& delivery) override;
  void subscription_restored(const std::string& channel) override;
  void disconnect_user(const std::string& user_id, std::uint16_t code,
                       const std::string& reason) override;

  // The worker's periodic sweep: typing indicators that ran out, then every session's
  // deadlines (authentication, token expiry, presence refresh, ack retries).
  void sweep(std::uint32_t now);

  // Counts a new connection from `ip` (max_connections_per_ip), or gives the refusal (429
  // with Retry-After) when the address holds its share; Node::ip_disconnected undoes it.
  std::optional<http::Response> admit_address(const std::string& ip);
  // The worker's sessions: broadcasts, disconnects and sweeps reach each one added here.
  // A removed session is freed on a later loop turn.
  void add_session(std::shared_ptr<Session> session);
  void remove_session(Session& session);

  Node& node() noexcept { return node_; }
  net::Worker& worker() noexcept { return worker_; }
  hub::Hub& hub() noexcept { return hub_; }
  TypingTracker& typing() noexcept { return typing_; }
  GatewayCounters& counters() noexcept { return counters_; }
  const GatewayCounters& counters() const noexcept { return counters_; }
  std::size_t session_count() const noexcept { return sessions_.size(); }

  // The id of the request whose event handler is running on this worker (what the handler's
  // Client::reply answers); handlers run one at a time, synchronously.
  std::string_view dispatching_id;
  // Whose publication frames the fast path sends to Socket.IO root-namespace sessions on a
  // WebSocket (DirectFrame::socketio_root); set by the Socket.IO endpoint.
  void set_socketio_root(Protocol* publications) noexcept { socketio_root_ = publications; }

 private:
  Node& node_;
  net::Worker& worker_;
  hub::Hub hub_;
  TypingTracker typing_;
  GatewayCounters counters_;
  std::vector<std::shared_ptr<Session>> sessions_;
  Protocol* socketio_root_ = nullptr;
};

// One WorkerGateway for each worker of a server, made at set-up and fixed after it: what the
// protocols' endpoints on a worker share, and what the metrics read (any thread: counters only).
class WorkerGateways {
 public:
  WorkerGateways(Node& node, net::Server& server);

  WorkerGateway& at(unsigned worker) noexcept { return *gateways_[worker]; }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& g : gateways_) f(static_cast<const WorkerGateway&>(*g));
  }

 private:
  std::vector<std::unique_ptr<WorkerGateway>> gateways_;
};

}  // namespace switchboard::node
