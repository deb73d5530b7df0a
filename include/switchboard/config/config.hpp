#pragma once
// The server's configuration: one value type filled from flags over environment over a TOML
// file, from one declarative table of options (src/config/options.cpp) that also produces
// validation and --help. docs/config.md lists every option.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/ingress_rule.hpp"

namespace switchboard::config {

enum class LogFormat { console, json };

// Settings for the channels of one namespace (the part of a channel name before the first
// ':', e.g. "conv" for "conv:42"), from the TOML file's [namespaces.<name>] tables. Unset
// fields fall back to the global options.
struct NamespaceConfig {
  std::string name;
  bool is_public = false;  // `public`: every authenticated user may subscribe
  std::optional<std::size_t> history_size;
  std::optional<std::chrono::milliseconds> history_ttl;
  std::optional<std::chrono::milliseconds> snapshot_ttl;
  std::optional<bool> client_publish;
  std::optional<bool> join_leave_events;
};

struct Config {
  // Listening
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8081;                  // --port, SWITCHBOARD_PORT, WSGATEWAY_PORT
  bool listen = true;                         // false: connections only from Gateway::adopt
  std::string tls_cert_file;                  // PEM certificate chain; with tls_key_file: TLS
  std::string tls_key_file;                   // PEM private key
  unsigned workers = 0;                       // 0: number of cores
  std::string ws_path = "/ws";                // path of the gateway's WebSocket endpoint

  // Socket.IO (docs/socketio.md)
  bool socketio = false;                      // serve Engine.IO v4 / Socket.IO v5 clients
  std::string socketio_path = "/socket.io/";
  std::vector<std::string> socketio_namespaces;  // besides "/"
  std::chrono::milliseconds socketio_ping_interval{25000};
  std::chrono::milliseconds socketio_ping_timeout{20000};
  std::size_t socketio_max_payload = 1000000;    // bytes of one Engine.IO packet or payload

  // Transport limits
  std::size_t max_message_size = 8 * 1024;    // inbound payload bytes (seed 001: 8 KB)
  std::size_t max_request_size = 8 * 1024;    // HTTP request line + headers
  std::size_t max_body_size = 1024 * 1024;    // HTTP request body (server API)
  std::size_t outbound_queue_limit = 1024 * 1024;  // soft: queued past a write for the grace
  std::chrono::milliseconds outbound_queue_grace{5000};  // over the soft limit this long: 4008
  std::size_t outbound_queue_hard_limit = 0;  // queued at all: 4008 at once; 0: 16 × the soft
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds drain_period{5000};

  // Handshake policy
  std::vector<std::string> allowed_origins;   // empty: any
  std::vector<std::string> subprotocols;
  bool deflate = false;                       // permessage-deflate
  std::size_t deflate_min_size = 64;

  // Modes that drive the transport without the gateway protocol
  bool echo = false;       // /echo echoes every message
  bool broadcast = false;  // /broadcast sends every received message to every /broadcast peer

  // Web pages (docs/web.md)
  std::string static_dir;                     // served at / (GET, HEAD) where no route is
  std::chrono::milliseconds static_max_age{std::chrono::hours(1)};  // Cache-Control, not HTML
  bool demo = false;  // /demo/, /dashboard/ and POST /demo/token: for trying it out only

  // Operations: the JSON statistics (docs/protocol.md "Operations")
  std::string stats_path = "/stats";
  std::size_t stats_users_limit = 0;  // no ids unless asked: the list names users

  // Gateway: authentication
  std::string jwt_secret;                     // JWT_SECRET: HMAC key
  std::string jwt_algorithm = "HS256";        // pinned algorithm for jwt_secret / jwt_public_key
  std::string jwt_public_key_file;            // PEM public key (RS*/ES*)
  std::string jwt_issuer;
  std::string jwt_audience;
  std::chrono::milliseconds jwt_leeway{30000};
  std::string auth_service_url;               // http://host:port/path, grpc(s)://host:port
  std::chrono::milliseconds auth_service_timeout{3000};
  std::vector<std::string> auth_service_headers;  // upgrade headers passed on (gRPC)
  std::string auth_service_ca_file;           // grpcs:// roots; empty: the system's
  std::size_t auth_service_max_in_flight = 1024;  // gRPC calls at once, per node
  std::chrono::milliseconds auth_timeout{10000};  // first `auth` message deadline
  bool allow_anonymous = false;
  std::string api_key;                        // server API: Authorization: apikey <key>

  // Gateway: channels, presence, typing, history
  std::size_t max_subscriptions = 128;        // per connection
  bool client_publish = false;                // clients may publish to any channel they joined
  std::vector<std::string> reserved_type_prefixes;  // event types clients may not publish
  std::vector<std::string> public_channels;   // patterns any authenticated user may join
  std::size_t history_size = 100;             // events kept per channel (0: off)
  std::chrono::milliseconds history_ttl{300000};
  std::chrono::milliseconds presence_ttl{90000};
  std::chrono::milliseconds presence_leave_delay{5000};  // debounce of presence.leave
  bool join_leave_events = true;              // presence.join/leave to the other subscribers
  std::chrono::milliseconds typing_ttl{10000};
  std::vector<std::string> snapshot_types;    // event types whose payload is the channel state
  std::chrono::milliseconds snapshot_ttl{3600000};  // a snapshot not set again is forgotten
  std::chrono::milliseconds registry_ttl{90000};    // user → node entries; refreshed at 1/3
  std::chrono::milliseconds snapshot_interval{1000};
  bool replay_on_subscribe = false;           // joiners get the last events (seed 000)
  bool send_connected = true;                 // `connected` event on connect (seed 002)

  // Gateway: delivery
  std::chrono::milliseconds ack_retry_initial{2000};
  std::size_t ack_max_attempts = 5;
  std::chrono::milliseconds ack_expiry{60000};
  std::size_t max_pending_acks = 256;         // per connection
  std::uint64_t memory_trim_after = 1000;     // connections opened or closed; 0: never
  std::size_t offline_max_messages = 100;     // per user
  std::chrono::milliseconds offline_ttl{86400000};

  // Gateway: upstream event buffer
  std::string upstream_webhook_url;           // POST batches of client events here
  std::chrono::milliseconds upstream_flush_interval{100};
  std::chrono::milliseconds upstream_webhook_timeout{5000};
  std::size_t upstream_batch_size = 100;
  std::size_t upstream_buffer_limit = 10000;  // events held before senders get an error
  std::size_t upstream_max_attempts = 5;      // POSTs of one batch before it is dropped
  std::chrono::milliseconds upstream_retry_initial{500};  // then doubling, at most 1 min
  std::string upstream_sink = "auto";         // auto | webhook | rabbitmq | redis | nats
  std::string upstream_exchange = "switchboard.events";  // rabbitmq sink: a topic exchange
  std::string upstream_topic = "events.{type}";  // broker sinks: subject / channel / stream
  std::string upstream_message = "event";     // event (one message each) | batch (the array)
  std::string upstream_redis_url;             // empty: ingress_redis_url, else the engine's
  std::string upstream_redis_mode = "publish";  // publish | stream (XADD)
  std::size_t upstream_stream_maxlen = 100000;
  // True when upstream_sink names a broker (rabbitmq, redis, nats).
  bool upstream_to_broker() const noexcept {
    return upstream_sink == "rabbitmq" || upstream_sink == "redis" || upstream_sink == "nats";
  }

  // Gateway: HTTP call-outs (auth service, upstream webhook)
  std::size_t callout_max_connections = 16;   // per pool: per worker for the auth service
  std::size_t callout_max_queued = 1024;      // calls waiting for a connection, per pool

  // Gateway: rate limits (per connection and per user: messages per second and burst)
  unsigned client_rate = 50;
  unsigned client_burst = 100;
  unsigned user_rate = 100;
  unsigned user_burst = 200;
  std::size_t max_connections_per_user = 100;
  std::size_t max_connections_per_ip = 1000;
  std::size_t max_violations = 10;            // errors before close 1008 / rate-limit close

  // Engine: where the state shared by nodes lives
  std::string engine = "auto";                // auto | memory | redis
  std::string redis_url;                      // redis://[:password@]host:port[/db], comma: shards
  std::string redis_host;                     // seed 001's REDIS_HOST: host[:port]
  std::string redis_password;                 // REDIS_PASSWORD, for shards whose URL has none
  unsigned redis_database = 0;                // REDIS_DATABASE, for shards whose URL has none
  std::string redis_prefix = "switchboard:";  // every Redis key and Pub/Sub channel
  std::chrono::milliseconds redis_command_timeout{4000};
  std::size_t redis_max_in_flight = 100000;   // commands awaiting replies, per Redis connection
  std::string broker = "auto";                // auto | redis | rabbitmq | nats
  std::string broker_prefix = "switchboard";  // RabbitMQ exchange / NATS subject prefix
  std::chrono::milliseconds broker_gap_timeout{100};  // relay brokers: wait for an overtaken one
  std::string node_id;                        // empty: host name plus a random suffix
  // True when the Redis engine is configured: engine = redis, or auto with a Redis address.
  bool uses_redis() const noexcept {
    return engine == "redis" || (engine == "auto" && (!redis_url.empty() || !redis_host.empty()));
  }

  // Broker ingress: messages backends publish to a broker, delivered to clients by rules
  std::string ingress_redis_url;              // where backends PUBLISH; empty: the engine's
  std::string nats_url;                       // NATS_URL: nats://host:port[,…] for NATS rules
  bool ingress_defaults = true;               // seed 001's rules when the file has none
  std::size_t ingress_max_message_size = 256 * 1024;
  std::size_t ingress_max_in_flight = 10000;  // handed to the engine, not yet completed
  std::string amqp_url;                       // AMQP_URL: the RabbitMQ rules' server
  std::string ingress_queue;                  // QUEUE_NAME: a RabbitMQ rule's default queue
  std::chrono::milliseconds amqp_heartbeat{10000};  // 0: none
  std::chrono::milliseconds broker_timeout{5000};   // connect, login, each broker RPC
  // PostgreSQL: the outbox rules' server (DATABASE_URL, POSTGRES_DSN), as libpq reads it
  std::string postgres_url;
  std::chrono::milliseconds postgres_statement_timeout{5000};
  std::size_t postgres_outbox_batch = 256;                // rows per claim
  std::chrono::milliseconds postgres_poll_interval{1000};  // claims without a NOTIFY
  std::size_t postgres_pool_size = 2;                      // enrichment sessions per server

  // Logging
  std::string log_level = "info";             // LOGGER_LEVEL
  LogFormat log_format = LogFormat::console;  // LOGGER_ENCODING: console | json

  std::string config_file;                    // --config, SWITCHBOARD_CONFIG

  // Per-namespace settings (TOML only: [namespaces.<name>]).
  std::vector<NamespaceConfig> namespaces;
  // Broker ingress rules (TOML only: [[ingress]] tables), in file order.
  std::vector<IngressRuleConfig> ingress;
  // The settings of `channel`'s namespace, or nullptr.
  const NamespaceConfig* namespace_of(std::string_view channel) const noexcept {
    const std::size_t colon = channel.find(':');
    if (colon == std::string_view::npos) return nullptr;
    const std::string_view name = channel.substr(0, colon);
    for (const auto& ns : namespaces) {
      if (ns.name == name) return &ns;
    }
    return nullptr;
  }
  std::size_t history_size_for(std::string_view channel) const noexcept {
    const auto* ns = namespace_of(channel);
    return ns && ns->history_size ? *ns->history_size : history_size;
  }
  std::chrono::milliseconds history_ttl_for(std::string_view channel) const noexcept {
    const auto* ns = namespace_of(channel);
    return ns && ns->history_ttl ? *ns->history_ttl : history_ttl;
  }
  std::chrono::milliseconds snapshot_ttl_for(std::string_view channel) const noexcept {
    const auto* ns = namespace_of(channel);
    return ns && ns->snapshot_ttl ? *ns->snapshot_ttl : snapshot_ttl;
  }
  bool client_publish_for(std::string_view channel) const noexcept {
    const auto* ns = namespace_of(channel);
    return ns && ns->client_publish ? *ns->client_publish : client_publish;
  }
  bool join_leave_events_for(std::string_view channel) const noexcept {
    const auto* ns = namespace_of(channel);
    return ns && ns->join_leave_events ? *ns->join_leave_events : join_leave_events;
  }
};

// Outcome of loading: either a Config, or an exit: `exit_code` 0 after --help/--version
// (text on stdout), 2 for an invalid value (a message naming the option, on stderr).
struct LoadResult {
  std::optional<Config> config;
  int exit_code = 0;
  std::string message;
};

// Precedence: command-line flags > environment > TOML file (--config or SWITCHBOARD_CONFIG)
// > defaults. `environ` is passed in so tests can supply their own.
LoadResult load(int argc, const char* const* argv, const char* const* environ);

// The help text derived from the option table.
std::string help_text();

}  // namespace switchboard::config
