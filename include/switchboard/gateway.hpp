#pragma once
// The embeddable gateway (seed 004's shape): register handlers by event type, hook connects and
// disconnects, plug in an authenticator, and publish, send to users or broadcast from any
// thread. The `switchboard` binary is this class plus flags and signals.
//
//   switchboard::Gateway gateway(config);
//   gateway.on("chat_message", [](switchboard::Client& client, const switchboard::ClientEvent& e) {
//     client.reply("chat_ack", R"({"ok":true})");
//   });
//   gateway.start();
//   gateway.send_to_user("user-123", {.type = "notification", .payload = R"({"text":"hi"})"});
//   gateway.wait();
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/auth/identity.hpp"
#include "switchboard/config/config.hpp"

namespace switchboard {

namespace auth {
class Authenticator;
}
namespace engine {
struct Engine;
}
namespace net {
class Server;
}

// An event to deliver: `payload` is JSON text, forwarded as is.
struct Message {
  std::string type = "message.new";
  std::string payload = "{}";
  std::string id;             // required (generated when empty) if requires_ack
  bool requires_ack = false;  // retried until the client answers {"type":"ack","id":...}
};

// Who is on the other end of a connection.
struct SessionInfo {
  std::string user_id;     // empty for anonymous connections
  std::string session_id;
  std::string remote_address;
};

// A custom event from a client (any type the protocol does not reserve).
struct ClientEvent {
  std::string_view type;
  std::string_view id;       // the client's message id, if any
  std::string_view payload;  // raw JSON text; empty when absent
};

// What a handler may do with the client that sent an event. Valid only during the handler
// call, on the connection's worker thread.
class Client {
 public:
  virtual ~Client() = default;
  virtual const SessionInfo& info() const noexcept = 0;
  // Sends {"type": type, "payload": payload_json} to this connection.
  virtual void reply(std::string_view type, std::string_view payload_json) = 0;
  // Sends {"type":"error","payload":{"code","message","ref"}}.
  virtual void error(std::string_view code, std::string_view message) = 0;
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
};

// Handlers run on the connection's worker thread: keep them short, or hand work elsewhere.
using EventHandler = std::function<void(Client&, const ClientEvent&)>;
using ConnectHook = std::function<void(const SessionInfo&)>;
using DisconnectHook = std::function<void(const SessionInfo&, std::uint16_t code)>;

// A client event forwarded upstream in a batch (seed 000's event buffer).
struct UpstreamEvent {
  std::string type;
  std::string payload;  // JSON text
  std::string user_id;
  std::string session_id;
  std::string channel;  // the payload's "channel" (or conversation) if it names one
  std::int64_t timestamp_ms = 0;
  std::string node;
};
using UpstreamSink = std::function<void(std::vector<UpstreamEvent> batch)>;

// A WebSocket upgrade the host application's own HTTP server accepted (seed 004's
// RegisterConn): the socket, the request it read (not answered yet) and, usually, who its
// authentication middleware found the client to be.
struct AdoptedConnection {
  int fd = -1;  // a connected plain-TCP socket; the gateway owns it from the call on
  std::string method = "GET";
  std::string target;  // as received ("/ws?x=1"); the path is not looked at
  std::vector<std::pair<std::string, std::string>> headers;  // as received, Upgrade etc. included
  std::string leftover;  // bytes the host read past the request (the client's first frames)
  // The authenticated client: the session opens as this user (channels, expiry and info as
  // for a token; user_id required, an expiry already past is auth.error expired) without a
  // token of its own. nullopt: the gateway authenticates the client itself, from the
  // request's token or an auth message, as for its own connections.
  std::optional<auth::Identity> identity;
};

namespace node {
class Node;
class NodeIngressSink;
class WorkerGateways;
}
namespace ingress {
class Ingress;
}

// Thread safety: set-up calls (on, on_connect, on_disconnect, set_authenticator,
// set_upstream_sink) before start(); everything else from any thread.
class Gateway {
 public:
  // The embedded memory engine; authentication from the configuration (JWT keys or the auth
  // service).
  explicit Gateway(config::Config config);
  // A given engine: every store filled in (std::invalid_argument without a snapshot store).
  Gateway(config::Config config, engine::Engine engine);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void on(std::string type, EventHandler handler);
  void on_connect(ConnectHook hook);
  void on_disconnect(DisconnectHook hook);
  void set_authenticator(std::unique_ptr<auth::Authenticator> authenticator);
  // Custom client events without a handler go here in batches (instead of the webhook).
  void set_upstream_sink(UpstreamSink sink);

  void start();  // binds the port (throws std::system_error) and starts the workers
  void drain();  // graceful: 1012 to every connection, paced over drain_period
  void stop();
  // Until every worker has stopped; then the ingress and the node's background work stop too
  // (with several gateways on one memory hub, wait for each before destroying any).
  void wait();

  void publish(std::string channel, Message message);
  void send_to_user(std::string user_id, Message message);
  void broadcast(Message message);
  void disconnect_user(std::string user_id, std::uint16_t code, std::string reason);

  // Takes a connection from the host's HTTP server: the upgrade goes to the least loaded worker,
  // which answers it (101, or as for its own: 400/426 bad upgrade headers, 403 an origin not
  // allowed, 429 too many connections from the address, 503 draining; a request that is no
  // upgrade gets the gateway's answer at ws_path; every refusal closes the connection) and
  // runs the native protocol on it with the same limits as on the connections it accepts.
  // After start() (std::logic_error before); std::invalid_argument for an identity without a
  // user_id; any thread. Once the gateway has stopped, the socket is closed unanswered. With
  // listen = false the gateway opens no port of its own. The socket is the gateway's even when
  // this throws.
  void adopt(AdoptedConnection connection);

  net::Server& server() noexcept;
  node::Node& node() noexcept;

 private:
  // The sessions of each worker, which the server's endpoints refer to: declared before the
  // server so that they outlive it.
  std::unique_ptr<node::WorkerGateways> worker_gateways_;
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<node::Node> node_;
  // Broker ingress ([[ingress]] rules): started after the node, stopped before it.
  std::unique_ptr<node::NodeIngressSink> ingress_sink_;
  std::unique_ptr<ingress::Ingress> ingress_;
};

}  // namespace switchboard
