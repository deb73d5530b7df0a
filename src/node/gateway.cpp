#include "switchboard/gateway.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "api_routes.hpp"
#include "demo_tokens.hpp"
#include "auth_service_authenticator.hpp"
#include "worker_gateway.hpp"
#include "gateway_metrics.hpp"
#include "grpc_auth_authenticator.hpp"
#include "native_endpoint.hpp"
#include "node.hpp"
#include "node_ingress_sink.hpp"
#include "switchboard/auth/jwt_verifier.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/nats/nats_transport.hpp"
#include "switchboard/engine/rabbitmq/rabbitmq_transport.hpp"
#include "switchboard/engine/redis/redis_engine.hpp"
#include "switchboard/engine/relay/relay_engine.hpp"
#include "switchboard/ingress/ingress.hpp"
#include "switchboard/net/ops_routes.hpp"
#include "switchboard/net/handover.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/net/worker.hpp"
#include "socketio_endpoint.hpp"
#include "stats_route.hpp"
#include "upstream.hpp"
#include "web_routes.hpp"

namespace switchboard {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The authenticator the configuration asks for: the auth service when its URL is set,
// otherwise JWT with the configured key; none when neither is configured.
std::unique_ptr<auth::Authenticator> configured_authenticator(const node::Node& n) {
  const config::Config& c = n.config();
  if (!c.auth_service_url.empty()) {
    node::GrpcAuthCallout grpc;
    if (node::parse_grpc_url(c.auth_service_url, grpc)) {
      grpc.ca_file = c.auth_service_ca_file;
      grpc.timeout = c.auth_service_timeout;
      grpc.max_in_flight = c.auth_service_max_in_flight;
      grpc.stats = n.auth_callout_stats();
      return node::make_grpc_auth_authenticator(std::move(grpc));
    }
    return node::make_auth_service_authenticator(node::Callout{
        c.auth_service_url, c.auth_service_timeout, n.callout_limits(), n.auth_callout_stats()});
  }
  auth::JwtConfig jwt;
  jwt.issuer = c.jwt_issuer;
  jwt.audience = c.jwt_audience;
  jwt.leeway = std::chrono::duration_cast<std::chrono::seconds>(c.jwt_leeway);
  auth::Algorithm algorithm{};
  if (!auth::parse_algorithm(c.jwt_algorithm, algorithm)) {
    throw std::invalid_argument("unknown jwt_algorithm " + c.jwt_algorithm);
  }
  const bool hmac = c.jwt_algorithm.rfind("HS", 0) == 0;
  if (hmac && !c.jwt_secret.empty()) {
    jwt.keys.push_back(auth::JwtKey{algorithm, {}, c.jwt_secret});
  } else if (!hmac && !c.jwt_public_key_file.empty()) {
    jwt.keys.push_back(auth::JwtKey{algorithm, {}, read_file(c.jwt_public_key_file)});
  } else {
    return nullptr;
  }
  return auth::make_jwt_authenticator(std::make_shared<const auth::JwtVerifier>(std::move(jwt)));
}

// The transport of broker = rabbitmq | nats, between the Redis engine's nodes.
std::shared_ptr<engine::relay::BrokerTransport> relay_transport(const config::Config& c) {
  if (c.broker == "rabbitmq") {
    engine::rabbitmq::RabbitMqTransportConfig rabbit;
    rabbit.url = c.amqp_url;
    rabbit.prefix = c.broker_prefix;
    rabbit.heartbeat = std::chrono::duration_cast<std::chrono::seconds>(c.amqp_heartbeat);
    rabbit.timeout = c.broker_timeout;
    return engine::rabbitmq::make_rabbitmq_transport(rabbit);
  }
  engine::nats::NatsTransportConfig nats;
  nats.url = c.nats_url;
  nats.prefix = c.broker_prefix;
  nats.timeout = c.broker_timeout;
  return engine::nats::make_nats_transport(nats);
}

// The engine the configuration names: Redis when a Redis address is configured (or engine =
// redis), else the embedded memory engine; with broker = rabbitmq | nats, Redis with that
// broker between the nodes instead of its Pub/Sub.
engine::Engine configured_engine(const config::Config& c) {
  if (!c.uses_redis()) {
    if (!c.redis_url.empty() || !c.redis_host.empty()) {
      spdlog::warn("engine = memory: the Redis address configured is not used");
    }
    return engine::make_memory_engine();
  }
  engine::RedisEngineConfig redis;
  redis.url = c.redis_url;
  redis.host = c.redis_host;
  redis.password = c.redis_password;
  redis.database = static_cast<int>(c.redis_database);
  redis.prefix = c.redis_prefix;
  redis.command_timeout = c.redis_command_timeout;
  redis.max_in_flight = c.redis_max_in_flight;
  redis.empty_stream_ttl = c.history_ttl;
  const bool relay = c.broker == "rabbitmq" || c.broker == "nats";
  redis.pubsub_broker = !relay;
  engine::Engine engine = engine::make_redis_engine(redis);
  if (!relay) return engine;
  engine::relay::RelayBrokerOptions options;
  options.gap_timeout = c.broker_gap_timeout;
  return engine::relay::with_relay_broker(std::move(engine), relay_transport(c), options);
}

}  // namespace

Gateway::Gateway(config::Config config) : Gateway(config, configured_engine(config)) {}

Gateway::Gateway(config::Config config, engine::Engine engine)
    : server_(std::make_unique<net::Server>(node::with_demo_keys(std::move(config)))) {
  node_ = std::make_unique<node::Node>(*server_, std::move(engine));
  node_->set_authenticator(configured_authenticator(*node_));
  if (node_->authenticator() == nullptr && !server_->config().allow_anonymous) {
    spdlog::warn("no authentication configured: clients cannot log in until jwt_secret "
                 "(JWT_SECRET), jwt_public_key_file or auth_service_url is set, or "
                 "allow_anonymous is on");
  }
  ingress_sink_ = std::make_unique<node::NodeIngressSink>(*node_);
  ingress_ = ingress::make_ingress(server_->config(), *ingress_sink_);
  net::OpsHooks ops;
  ops.users = [n = node_.get()] { return n->user_count(); };
  ops.dependencies = [backend = node_->engine().backend, in = ingress_.get()] {
    std::vector<net::Dependency> deps;
    if (backend) {
      for (auto& h : backend->health()) deps.push_back({h.name, h.up, h.detail, true});
    }
    for (auto& h : in->health()) deps.push_back({h.name, h.up, h.detail, false});
    return deps;
  };
  ops.stats = node::make_stats_handler(*node_);
  net::add_ops_routes(*server_, std::move(ops));
  node::add_api_routes(*node_);
  node::add_web_routes(*node_);
  worker_gateways_ = std::make_unique<node::WorkerGateways>(*node_, *server_);
  node::add_gateway_metrics(*node_, *worker_gateways_, *ingress_);
  // Each protocol's endpoint puts the sessions it opens in its worker's gateway.
  server_->add_endpoint(server_->config().ws_path, [w = worker_gateways_.get()](net::Worker& worker) {
    return std::make_unique<node::NativeEndpoint>(w->at(worker.index()));
  });
  if (server_->config().socketio) {
    server_->add_endpoint(server_->config().socketio_path,
                          [w = worker_gateways_.get()](net::Worker& worker) {
                            return std::make_unique<node::SocketIoEndpoint>(w->at(worker.index()));
                          });
  }
}

Gateway::~Gateway() {
  stop();
  wait();
}

void Gateway::on(std::string type, EventHandler handler) { node_->on(std::move(type), std::move(handler)); }
void Gateway::on_connect(ConnectHook hook) { node_->on_connect(std::move(hook)); }
void Gateway::on_disconnect(DisconnectHook hook) { node_->on_disconnect(std::move(hook)); }
void Gateway::set_authenticator(std::unique_ptr<auth::Authenticator> authenticator) {
  node_->set_authenticator(std::move(authenticator));
}
void Gateway::set_upstream_sink(UpstreamSink sink) { node_->upstream().set_sink(std::move(sink)); }

void Gateway::start() {
  node_->start();
  ingress_->start();
  server_->start();
}
void Gateway::drain() { server_->drain(); }
void Gateway::stop() { server_->stop(); }
void Gateway::wait() {
  server_->wait();
  // Then what publishes besides the workers: the ingress (its held batches go to the node
  // first), then the node's housekeeping (presence leaves, snapshots, the upstream). Nodes that
  // share a memory hub must all be past wait() before any is destroyed: until then one may
  // publish into another's handler.
  ingress_->stop();
  node_->stop();
}

void Gateway::publish(std::string channel, Message message) {
  node_->publish(node::make_publication(std::move(channel), std::move(message)));
}

void Gateway::send_to_user(std::string user_id, Message message) {
  node_->send_to_user(std::move(user_id), std::move(message));
}

void Gateway::broadcast(Message message) { node_->broadcast(std::move(message)); }

void Gateway::disconnect_user(std::string user_id, std::uint16_t code, std::string reason) {
  node_->disconnect_user(user_id, code, reason);
}

void Gateway::adopt(AdoptedConnection connection) {
  if (connection.identity && connection.identity->user_id.empty()) {
    if (connection.fd >= 0) ::close(connection.fd);
    throw std::invalid_argument("adopt: an identity names a user (anonymous clients come "
                                "without one, with allow_anonymous)");
  }
  net::Handover handover;
  handover.fd = connection.fd;
  http::Request& request = handover.request;
  request.method = std::move(connection.method);
  request.headers = std::move(connection.headers);
  request.version = 11;
  // Whatever the gateway answers ends the connection unless it upgrades: a request the host
  // handed over is never followed by more requests to the gateway's own routes.
  request.keep_alive = false;
  // The host mounted the gateway where it likes: the upgrade goes to the native endpoint,
  // the query (a token, when the host lets the gateway authenticate) kept.
  const std::size_t query = connection.target.find('?');
  request.target = server_->config().ws_path +
                   (query == std::string::npos ? std::string() : connection.target.substr(query));
  handover.leftover = std::move(connection.leftover);
  if (connection.identity) handover.context = std::move(*connection.identity);
  server_->adopt(std::move(handover));
}

net::Server& Gateway::server() noexcept { return *server_; }
node::Node& Gateway::node() noexcept { return *node_; }

}  // namespace switchboard
