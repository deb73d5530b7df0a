#include "combinations.hpp"

#include <string_view>

#include "ingress_rules.hpp"
#include "nats_subject.hpp"
#include "rabbitmq_routing.hpp"
#include "redis_url.hpp"
#include "upstream_topic.hpp"

namespace switchboard::config {
namespace {

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

// Browsers send Origin as scheme://host[:port] (RFC 6454 §6.1), never with a path, and
// "null" for opaque origins; handshakes compare it exactly.
void check_origin(const std::string& origin, std::vector<std::string>& errors) {
  if (origin == "null") return;
  const std::size_t scheme_end = origin.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) {
    errors.push_back("allowed_origins entry '" + origin +
                     "' is not an origin: write scheme://host[:port], e.g. https://app.example.com");
    return;
  }
  const std::size_t path = origin.find('/', scheme_end + 3);
  if (path != std::string::npos) {
    errors.push_back("allowed_origins entry '" + origin + "' has a path or trailing '/': browsers " +
                     "send origins without one, so it would refuse every browser (write '" +
                     origin.substr(0, path) + "')");
  }
}

// upstream_sink and what it needs.
void check_upstream(const Config& config, std::vector<std::string>& errors) {
  const std::string& sink = config.upstream_sink;
  if (sink == "webhook" && config.upstream_webhook_url.empty()) {
    errors.push_back("upstream_sink = webhook needs upstream_webhook_url");
  }
  if (!config.upstream_to_broker()) return;
  if (!config.upstream_webhook_url.empty()) {
    errors.push_back("upstream_webhook_url is set but upstream_sink = " + sink +
                     ": batches go to one sink (unset the URL, or set upstream_sink = webhook)");
  }
  std::string error;
  const auto topic = ingress::UpstreamTopic::parse(config.upstream_topic, error);
  if (!topic) {
    errors.push_back("upstream_topic '" + config.upstream_topic + "': " + error);
  } else if (config.upstream_message == "batch" && topic->per_event()) {
    errors.push_back("upstream_topic '" + config.upstream_topic + "' names a field of one event, "
                     "but upstream_message = batch sends the batch as one message (use {node} "
                     "only, or upstream_message = event)");
  }
  if (sink == "rabbitmq" && config.amqp_url.empty()) {
    errors.push_back("upstream_sink = rabbitmq needs amqp_url (AMQP_URL)");
  }
  if (sink == "rabbitmq" && config.upstream_exchange.empty()) {
    errors.push_back("upstream_sink = rabbitmq needs upstream_exchange: the default exchange "
                     "\"\" cannot be declared");
  }
  if (sink == "nats" && config.nats_url.empty()) {
    errors.push_back("upstream_sink = nats needs nats_url (NATS_URL)");
  }
  if (sink == "redis") {
    const std::string& url = !config.upstream_redis_url.empty() ? config.upstream_redis_url
                                                                : config.ingress_redis_url;
    const auto shards =
        url.empty() && config.redis_url.empty() && config.redis_host.empty()
            ? engine::redis::RedisUrlResult{{}, "upstream_sink = redis needs a Redis address: "
                                                "upstream_redis_url, ingress_redis_url or the "
                                                "engine's redis_url / redis_host"}
        : url.empty() ? engine::redis::resolve_redis_shards(config.redis_url, config.redis_host,
                                                            config.redis_password,
                                                            static_cast<int>(config.redis_database))
                      : engine::redis::resolve_redis_shards(url, "", config.redis_password,
                                                            static_cast<int>(config.redis_database));
    if (!shards.ok()) errors.push_back(shards.error);
  }
}

// A relay broker carries publications between nodes; the rest of the shared state must still be
// shared, and only the Redis engine shares it.
void check_broker(const Config& config, std::vector<std::string>& errors) {
  const bool relay = config.broker == "rabbitmq" || config.broker == "nats";
  if (config.broker == "redis" && !config.uses_redis()) {
    errors.push_back("broker = redis needs engine = redis (a Redis address)");
  }
  if (relay && !config.uses_redis()) {
    errors.push_back("broker = " + config.broker + " needs engine = redis (a Redis address): "
                     "history, the node registry and idempotency keys are shared through Redis");
  }
  if (config.broker == "rabbitmq" && config.amqp_url.empty()) {
    errors.push_back("broker = rabbitmq needs amqp_url (AMQP_URL)");
  }
  if (config.broker == "nats" && config.nats_url.empty()) {
    errors.push_back("broker = nats needs nats_url (NATS_URL)");
  }
  if (relay && config.broker_prefix.empty()) {
    errors.push_back("broker_prefix must not be empty: it names the broker's exchange or subjects");
  } else if (config.broker == "rabbitmq") {
    if (auto problem = engine::rabbitmq::prefix_problem(config.broker_prefix)) {
      errors.push_back("broker_prefix: " + *problem);
    }
  } else if (config.broker == "nats") {
    if (auto problem = engine::nats::subject_prefix_problem(config.broker_prefix)) {
      errors.push_back("broker_prefix: " + *problem);
    }
  }
}

// Socket.IO: its path and namespaces as socket.io-client names them.
void check_socketio(const Config& config, std::vector<std::string>& errors) {
  if (!config.socketio) return;
  if (config.socketio_path == config.ws_path) {
    errors.push_back("socketio_path and ws_path are both '" + config.ws_path +
                     "': the two protocols need paths of their own");
  }
  for (const auto& nsp : config.socketio_namespaces) {
    if (nsp.empty() || nsp.front() != '/' || nsp.find(',') != std::string::npos) {
      errors.push_back("socketio_namespaces entry '" + nsp +
                       "' is not a namespace: write /name (a leading '/', no ',')");
    }
  }
}

// stats_path is a route of its own: not one of the operational routes, the WebSocket paths or
// the server API's (/metrics is the one it may share: it then makes JSON /metrics' default).
void check_stats_path(const Config& config, std::vector<std::string>& errors) {
  const std::string& path = config.stats_path;
  const auto under = [&path](std::string_view prefix) { return path.rfind(prefix, 0) == 0; };
  const bool taken = path == "/" || path == "/health" || path == "/ready" || path == config.ws_path ||
                     (config.socketio && path == config.socketio_path) || path == "/api" ||
                     under("/api/") || path == "/demo/token" ||
                     (config.demo && (under("/demo/") || under("/dashboard/")));
  if (path.find('*') != std::string::npos) {
    errors.push_back("stats_path '" + path + "' holds a '*': it is one path, not a pattern");
  } else if (taken) {
    errors.push_back("stats_path '" + path + "' is a route of the gateway's own: choose another "
                     "path (or /metrics, to make JSON its default)");
  }
}

// The auth service's scheme picks the call-out: HTTP (POST, plain http only) or gRPC, on
// host:port without a path (the service and method are the .proto's).
void check_auth_service(const Config& config, std::vector<std::string>& errors) {
  const std::string& url = config.auth_service_url;
  if (url.empty()) return;
  for (std::string_view scheme : {"grpc://", "grpcs://"}) {
    if (url.rfind(scheme, 0) != 0) continue;
    std::string_view rest = std::string_view(url).substr(scheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    const std::size_t colon = rest.rfind(':');
    const bool digits = colon != std::string_view::npos && colon + 1 < rest.size() &&
                        rest.substr(colon + 1).find_first_not_of("0123456789") ==
                            std::string_view::npos;
    if (colon == 0 || !digits || rest.find('/') != std::string_view::npos) {
      errors.push_back("auth_service_url '" + url + "': a gRPC auth service is " +
                       std::string(scheme) + "host:port, without a path");
    }
    if (scheme == "grpc://" && !config.auth_service_ca_file.empty()) {
      errors.push_back("auth_service_ca_file is for a grpcs:// auth service (TLS), not grpc://");
    }
    return;
  }
  if (url.rfind("http://", 0) != 0) {
    errors.push_back("auth_service_url '" + url + "' is neither http://host:port/path (https "
                     "is not supported: terminate TLS in front of the service) nor "
                     "grpc://host:port or grpcs://host:port");
  }
  if (!config.auth_service_ca_file.empty()) {
    errors.push_back("auth_service_ca_file is for a grpcs:// auth service");
  }
  if (!config.auth_service_headers.empty()) {
    errors.push_back("auth_service_headers are passed to a gRPC auth service only (the HTTP "
                     "call-out posts the token alone)");
  }
}

// demo signs its own tokens (POST /demo/token) with jwt_secret, and its rooms are the "demo"
// namespace, public and open to clients' publishes unless the file configures it.
void settle_demo(Config& config, std::vector<std::string>& errors) {
  if (!config.demo) return;
  if (!config.auth_service_url.empty()) {
    errors.push_back("demo signs its users' tokens itself: it cannot run with auth_service_url");
  }
  if (config.jwt_algorithm.rfind("HS", 0) != 0) {
    errors.push_back("demo signs its users' tokens with jwt_secret: it needs an HS* "
                     "jwt_algorithm, not " + config.jwt_algorithm);
  }
  for (const auto& ns : config.namespaces) {
    if (ns.name == "demo") return;
  }
  NamespaceConfig rooms;
  rooms.name = "demo";
  rooms.is_public = true;
  rooms.client_publish = true;
  config.namespaces.push_back(std::move(rooms));
}

}  // namespace

void check_combinations(Config& config, std::vector<std::string>& errors) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    errors.push_back("tls_cert_file and tls_key_file go together: set both or neither");
  }
  for (const auto& origin : config.allowed_origins) check_origin(origin, errors);
  const auto ping = config.ping_interval;
  const auto idle = config.idle_timeout;
  if (ping.count() > 0 && idle.count() > 0 && idle <= ping) {
    errors.push_back("idle_timeout (" + millis(idle) + ") must be longer than ping_interval (" +
                     millis(ping) + "): idle clients would be closed before the server pings them");
  }
  // The Redis address is checked here, not when the engine first connects: a typo stops the
  // server with the reason (exit 2) instead of a node that is never ready.
  if (config.uses_redis()) {
    const auto shards = engine::redis::resolve_redis_shards(
        config.redis_url, config.redis_host, config.redis_password,
        static_cast<int>(config.redis_database));
    if (!shards.ok()) errors.push_back(shards.error);
  }
  check_broker(config, errors);
  check_ingress_rules(config, errors);
  check_upstream(config, errors);
  check_socketio(config, errors);
  check_stats_path(config, errors);
  check_auth_service(config, errors);
  settle_demo(config, errors);
  if (config.outbound_queue_hard_limit != 0 &&
      config.outbound_queue_hard_limit < config.outbound_queue_limit) {
    errors.push_back("outbound_queue_hard_limit (" + std::to_string(config.outbound_queue_hard_limit) +
                     ") is below outbound_queue_limit (" + std::to_string(config.outbound_queue_limit) +
                     "): the soft limit would never be reached");
  }
  if (config.ingress_max_message_size + 1024 > config.outbound_queue_limit) {
    errors.push_back("ingress_max_message_size must stay at least 1KiB below "
                     "outbound_queue_limit: a message that fills a connection's queue alone "
                     "would cut its recipient as a slow consumer");
  }
}

}  // namespace switchboard::config
