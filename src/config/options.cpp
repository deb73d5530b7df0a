// The option table: the single place where an option is declared. Adding an option is one
// entry here plus its Config member; flags, environment names, TOML keys, validation, --help
// and the table in docs/config.md (see tests/unit/config/docs_test.cpp) all follow from it.
#include <cctype>

#include "option_spec.hpp"

namespace switchboard::config {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;
constexpr std::uint64_t kSecond = 1000;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;

using T = OptionType;

std::vector<OptionSpec> build_table() {
  // clang-format off
  std::vector<OptionSpec> t;
  // Listening
  t.push_back(option("bind_address", T::string, &Config::bind_address, "Address to listen on (IPv4 or IPv6)."));
  t.push_back(option("port", T::uint, &Config::port, "TCP port to listen on.").range(1, 65535).env("WSGATEWAY_PORT"));
  t.push_back(option("listen", T::boolean, &Config::listen, "Open the port: off, the gateway has no port of its own and serves only the connections a host application's HTTP server hands it (Gateway::adopt; the library only, README)."));
  t.push_back(option("tls_cert_file", T::string, &Config::tls_cert_file, "PEM certificate chain: with tls_key_file, the port speaks TLS only (wss://, https://)."));
  t.push_back(option("tls_key_file", T::string, &Config::tls_key_file, "PEM private key of tls_cert_file."));
  t.push_back(option("workers", T::uint, &Config::workers, "Worker threads, each with its own event loop and listening socket; 0 means one per CPU core.").range(0, 256));
  t.push_back(option("ws_path", T::string, &Config::ws_path, "Path of the gateway's WebSocket endpoint.").prefix("/"));
  // Socket.IO
  t.push_back(option("socketio", T::boolean, &Config::socketio, "Serve Socket.IO clients (Engine.IO 4, Socket.IO 5: socket.io-client 3 and 4) on socketio_path, next to the native protocol, on the same channels and users (docs/socketio.md)."));
  t.push_back(option("socketio_path", T::string, &Config::socketio_path, "Path of the Socket.IO endpoint (socket.io-client's `path`).").prefix("/"));
  t.push_back(option("socketio_namespaces", T::string_list, &Config::socketio_namespaces, "Socket.IO namespaces clients may connect to besides `/` (each starts with `/`); a session per namespace, each authenticated on its own."));
  t.push_back(option("socketio_ping_interval", T::duration, &Config::socketio_ping_interval, "Engine.IO heartbeat: the server pings every this long (the open packet's pingInterval).").range(100, 10 * kMinute));
  t.push_back(option("socketio_ping_timeout", T::duration, &Config::socketio_ping_timeout, "Engine.IO heartbeat: a client that has not answered a ping within this long is disconnected (pingTimeout).").range(100, 10 * kMinute));
  t.push_back(option("socketio_max_payload", T::size, &Config::socketio_max_payload, "Largest Engine.IO packet (WebSocket) or long-polling request body (maxPayload); larger ones close the session.").range(125, kGiB));
  // Transport limits
  t.push_back(option("max_message_size", T::size, &Config::max_message_size, "Largest inbound WebSocket message (after reassembly and inflation); larger ones close the connection with 1009.").range(125, kGiB));
  t.push_back(option("max_request_size", T::size, &Config::max_request_size, "Largest HTTP request line plus headers (upgrade requests and HTTP endpoints).").range(kKiB, kMiB));
  t.push_back(option("max_body_size", T::size, &Config::max_body_size, "Largest HTTP request body (server API).").range(0, kGiB));
  t.push_back(option("outbound_queue_limit", T::size, &Config::outbound_queue_limit, "Soft limit of a connection's outbound queue: more than this still queued after the server's write, for outbound_queue_grace, disconnects it as a slow consumer (4008). A burst to a reader that keeps up is not cut.").range(4 * kKiB, kGiB));
  t.push_back(option("outbound_queue_grace", T::duration, &Config::outbound_queue_grace, "How long a connection may stay over outbound_queue_limit (a reader that does not drain) before it is cut; 0 cuts at the next sweep.").range(0, 10 * kMinute));
  t.push_back(option("outbound_queue_hard_limit", T::size, &Config::outbound_queue_hard_limit, "Bytes queued for one connection beyond which it is cut at once (4008), a runaway queue; a single message larger than it still goes to a connection with nothing queued. 0: 16 times outbound_queue_limit.").range(0, 16 * kGiB));
  t.push_back(option("handshake_timeout", T::duration, &Config::handshake_timeout, "Time allowed for an HTTP request to arrive in full, head and body: the first (a WebSocket upgrade included) from TCP accept, each later one from the previous response. Late requests are closed without an answer.").range(1, 10 * kMinute));
  t.push_back(option("ping_interval", T::duration, &Config::ping_interval, "Interval between server pings on an idle connection; 0 disables pings.").range(0, kHour));
  t.push_back(option("idle_timeout", T::duration, &Config::idle_timeout, "A connection that sends nothing (not even a pong) for this long is closed; 0 disables.").range(0, 24 * kHour));
  t.push_back(option("drain_period", T::duration, &Config::drain_period, "On SIGTERM, time given to connections to close before they are cut.").range(0, 10 * kMinute));
  // Handshake policy
  t.push_back(option("allowed_origins", T::string_list, &Config::allowed_origins, "Origins allowed to connect (exact match), and to read Socket.IO long-polling answers (CORS); empty allows any.").env("CORS_ORIGIN"));
  t.push_back(option("subprotocols", T::string_list, &Config::subprotocols, "WebSocket subprotocols offered, in order of preference."));
  t.push_back(option("deflate", T::boolean, &Config::deflate, "Negotiate permessage-deflate (RFC 7692)."));
  t.push_back(option("deflate_min_size", T::size, &Config::deflate_min_size, "Outbound messages smaller than this are sent uncompressed.").range(0, kGiB));
  // Transport test modes
  t.push_back(option("echo", T::boolean, &Config::echo, "Serve /echo: every message is sent back to its sender."));
  t.push_back(option("broadcast", T::boolean, &Config::broadcast, "Serve /broadcast: every message is sent to every /broadcast connection."));
  // Web pages
  t.push_back(option("static_dir", T::string, &Config::static_dir, "Directory whose files are served over GET and HEAD at `/`, below the gateway's own routes (docs/web.md): index.html for a directory, nothing outside it."));
  t.push_back(option("static_max_age", T::duration, &Config::static_max_age, "Cache-Control max-age of static files other than HTML (HTML is always revalidated).").range(0, 365 * 24 * kHour));
  t.push_back(option("demo", T::boolean, &Config::demo, "Serve the demo chat at /demo/ and the operators' dashboard at /dashboard/ (the built-in pages, or static_dir's), and POST /demo/token, which signs a token for any user name: for trying the gateway out, never in production."));
  // Operations (docs/protocol.md "Operations")
  t.push_back(option("stats_path", T::string, &Config::stats_path, "Path of the JSON statistics (seed 002's /metrics shape: totalConnections, totalUsers, usersList, uptime, memory, timestamp), behind the API key when one is set. GET /metrics answers the same JSON to a client that prefers application/json; set this to /metrics to make JSON its default (Prometheus still gets text by asking for it).").prefix("/"));
  t.push_back(option("stats_users_limit", T::uint, &Config::stats_users_limit, "User ids listed in the JSON statistics' usersList at most (the first in order: decimal ids by value, then the others); usersListOmitted counts the rest. 0 lists none: the list names users to whoever may read the statistics.").range(0, 100000));
  // Gateway: authentication
  t.push_back(option("jwt_secret", T::string, &Config::jwt_secret, "HMAC secret for HS256/384/512 tokens.").env("JWT_SECRET"));
  t.push_back(choice("jwt_algorithm", &Config::jwt_algorithm, {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"}, "The one algorithm accepted for the configured key (pinned: tokens naming another are refused)."));
  t.push_back(option("jwt_public_key_file", T::string, &Config::jwt_public_key_file, "PEM public key file for RS*/ES* tokens."));
  t.push_back(option("jwt_issuer", T::string, &Config::jwt_issuer, "Required `iss` claim; empty accepts any."));
  t.push_back(option("jwt_audience", T::string, &Config::jwt_audience, "Required `aud` claim; empty accepts any."));
  t.push_back(option("jwt_leeway", T::duration, &Config::jwt_leeway, "Clock skew tolerated for `exp` and `nbf`.").range(0, kHour));
  t.push_back(option("auth_service_url", T::string, &Config::auth_service_url, "The auth service that validates tokens, used instead of JWT keys when set: http://host:port/path (POST {\"token\":...}), or grpc://host:port / grpcs://host:port (AuthService.Authenticate of proto/switchboard/auth/v1/auth.proto, over TLS with grpcs)."));
  t.push_back(option("auth_service_timeout", T::duration, &Config::auth_service_timeout, "Time allowed for the auth service to answer (the gRPC call's deadline).").range(1, kMinute));
  t.push_back(option("auth_service_headers", T::string_list, &Config::auth_service_headers, "Headers of the upgrade request passed to the gRPC auth service with the token (AuthenticateRequest.headers), by name."));
  t.push_back(option("auth_service_ca_file", T::string, &Config::auth_service_ca_file, "PEM certificates that a grpcs:// auth service's certificate must chain to; empty: the system's."));
  t.push_back(option("auth_service_max_in_flight", T::uint, &Config::auth_service_max_in_flight, "gRPC auth calls waiting for an answer at once, per node; one more fails at once with service_unavailable (counted).").range(1, 1000000));
  t.push_back(option("auth_timeout", T::duration, &Config::auth_timeout, "Time a connection without a token at upgrade has to send an `auth` message.").range(1, 10 * kMinute));
  t.push_back(option("allow_anonymous", T::boolean, &Config::allow_anonymous, "Accept connections without a token (they get no user room)."));
  t.push_back(option("api_key", T::string, &Config::api_key, "Key for the server API (`Authorization: apikey <key>`); empty disables the API."));
  // Gateway: channels, presence, typing, history
  t.push_back(option("max_subscriptions", T::uint, &Config::max_subscriptions, "Channels one connection may subscribe to.").range(1, 100000));
  t.push_back(option("client_publish", T::boolean, &Config::client_publish, "Let clients publish to channels they are subscribed to."));
  t.push_back(option("reserved_type_prefixes", T::string_list, &Config::reserved_type_prefixes, "Event type prefixes clients may not publish (the types the server sends are always reserved)."));
  t.push_back(option("public_channels", T::string_list, &Config::public_channels, "Channel patterns any authenticated user may subscribe to (`conv:*`, `news`)."));
  t.push_back(option("history_size", T::uint, &Config::history_size, "Events kept per channel for late joiners and recovery; 0 disables history.").range(0, 100000));
  t.push_back(option("history_ttl", T::duration, &Config::history_ttl, "A channel's history is forgotten this long after its last event.").range(1, 30 * 24 * kHour));
  t.push_back(option("presence_ttl", T::duration, &Config::presence_ttl, "Presence entries expire unless refreshed within this time (refreshed while connected).").range(1000, kHour));
  t.push_back(option("presence_leave_delay", T::duration, &Config::presence_leave_delay, "presence.leave is sent only if the user has not rejoined (on any node) within this time.").range(0, 10 * kMinute));
  t.push_back(option("join_leave_events", T::boolean, &Config::join_leave_events, "Send presence.join/presence.leave to a channel's other subscribers (off for very large rooms: each join reaches everyone)."));
  t.push_back(option("typing_ttl", T::duration, &Config::typing_ttl, "typing.stop is sent this long after the last typing event.").range(100, 10 * kMinute));
  t.push_back(option("snapshot_types", T::string_list, &Config::snapshot_types, "Event types whose payload becomes the channel's snapshot (e.g. BoardUpdate)."));
  t.push_back(option("snapshot_ttl", T::duration, &Config::snapshot_ttl, "A channel's snapshot is forgotten this long after it was last set.").range(1000, 30 * 24 * kHour));
  t.push_back(option("registry_ttl", T::duration, &Config::registry_ttl, "A node's connection leases in the registry (send-to-user routing, the per-user connection limit) outlive it by at most this long; live nodes refresh them every third of it.").range(3000, kHour));
  t.push_back(option("snapshot_interval", T::duration, &Config::snapshot_interval, "A node writes a channel's snapshot to the engine's store at most this often; a newer state waits (joiners on that node get it at once) and is written once the interval has passed.").range(0, kHour));
  t.push_back(option("replay_on_subscribe", T::boolean, &Config::replay_on_subscribe, "Every subscribe replays the channel's retained events to the joiner (clients can also ask per subscribe with \"replay\": true)."));
  t.push_back(option("send_connected", T::boolean, &Config::send_connected, "Send a `connected` event when a connection opens."));
  // Gateway: delivery
  t.push_back(option("ack_retry_initial", T::duration, &Config::ack_retry_initial, "First retry of an unacknowledged message; later retries double it.").range(10, kHour));
  t.push_back(option("ack_max_attempts", T::uint, &Config::ack_max_attempts, "Deliveries of an acknowledged message before it expires.").range(1, 100));
  t.push_back(option("ack_expiry", T::duration, &Config::ack_expiry, "An unacknowledged message expires after this long.").range(100, 24 * kHour));
  t.push_back(option("memory_trim_after", T::uint, &Config::memory_trim_after, "After this many connections opened (or closed) and a second without a new one, the heap's free memory goes back to the system (malloc_trim); 0 never trims.").range(0, 100000000));
  t.push_back(option("max_pending_acks", T::uint, &Config::max_pending_acks, "Unacknowledged messages held per connection.").range(1, 100000));
  t.push_back(option("offline_max_messages", T::uint, &Config::offline_max_messages, "Acknowledged messages kept for an offline user.").range(0, 100000));
  t.push_back(option("offline_ttl", T::duration, &Config::offline_ttl, "How long messages for an offline user are kept.").range(1000, 30 * 24 * kHour));
  // Gateway: upstream event buffer
  t.push_back(option("upstream_webhook_url", T::string, &Config::upstream_webhook_url, "HTTP endpoint receiving batches of client events (JSON array)."));
  t.push_back(option("upstream_flush_interval", T::duration, &Config::upstream_flush_interval, "Client events are flushed upstream at least this often.").range(1, kMinute));
  t.push_back(option("upstream_webhook_timeout", T::duration, &Config::upstream_webhook_timeout, "Time the upstream webhook has to accept a batch before it counts as failed.").range(1, 10 * kMinute));
  t.push_back(option("upstream_batch_size", T::uint, &Config::upstream_batch_size, "A batch is flushed as soon as it holds this many events.").range(1, 100000));
  t.push_back(option("upstream_buffer_limit", T::uint, &Config::upstream_buffer_limit, "Events held (waiting, or in the batch being delivered) before senders get a buffer_full error.").range(1, 10000000));
  t.push_back(option("upstream_max_attempts", T::uint, &Config::upstream_max_attempts, "POSTs of a batch to the webhook before it is dropped (counted in switchboard_gateway_upstream_failed_total).").range(1, 100));
  t.push_back(choice("upstream_sink", &Config::upstream_sink, {"auto", "webhook", "rabbitmq", "redis", "nats"}, "Where batches of client events go: the webhook (upstream_webhook_url), RabbitMQ (amqp_url, upstream_exchange), Redis or NATS; auto is the webhook when its URL is set, else none."));
  t.push_back(option("upstream_exchange", T::string, &Config::upstream_exchange, "RabbitMQ sink: the exchange events are published to (declared topic and durable when missing), with upstream_topic as routing key."));
  t.push_back(option("upstream_topic", T::string, &Config::upstream_topic, "Broker sinks: the routing key (RabbitMQ), channel or stream (Redis) or subject (NATS) each event goes to, a template of {type}, {channel}, {user_id} and {node}."));
  t.push_back(choice("upstream_message", &Config::upstream_message, {"event", "batch"}, "Broker sinks: one message per event (its JSON object), or one per batch (the JSON array the webhook gets)."));
  t.push_back(option("upstream_redis_url", T::string, &Config::upstream_redis_url, "Redis sink: the server (redis://[:password@]host[:port][/db]); empty: ingress_redis_url, else the engine's first Redis server."));
  t.push_back(choice("upstream_redis_mode", &Config::upstream_redis_mode, {"publish", "stream"}, "Redis sink: PUBLISH (subscribers connected then get it) or XADD to a stream (kept for later readers, field \"event\")."));
  t.push_back(option("upstream_stream_maxlen", T::uint, &Config::upstream_stream_maxlen, "Redis sink in stream mode: the stream is trimmed to about this many entries (XADD MAXLEN ~).").range(1, 1000000000));
  t.push_back(option("upstream_retry_initial", T::duration, &Config::upstream_retry_initial, "Wait before the first retry of a failed batch; each later retry waits twice as long (at most 1 min).").range(1, kMinute));
  // Gateway: HTTP call-outs (auth service, upstream webhook)
  t.push_back(option("callout_max_connections", T::uint, &Config::callout_max_connections, "Connections to one call-out host open at once, per worker (auth service) and for the webhook; further calls wait for one.").range(1, 10000));
  t.push_back(option("callout_max_queued", T::uint, &Config::callout_max_queued, "Call-outs that may wait for a connection, per pool; one more fails at once (auth: service_unavailable) and is counted.").range(0, 1000000));
  // Gateway: rate limits
  t.push_back(option("client_rate", T::uint, &Config::client_rate, "Messages per second one connection may send (sustained).").range(1, 1000000));
  t.push_back(option("client_burst", T::uint, &Config::client_burst, "Messages one connection may send in a burst.").range(1, 1000000));
  t.push_back(option("user_rate", T::uint, &Config::user_rate, "Messages per second all connections of a user may send (sustained).").range(1, 1000000));
  t.push_back(option("user_burst", T::uint, &Config::user_burst, "Messages all connections of a user may send in a burst.").range(1, 1000000));
  t.push_back(option("max_connections_per_user", T::uint, &Config::max_connections_per_user, "Connections one user may hold at once, on every node together (counted by the engine's registry).").range(1, 1000000));
  t.push_back(option("max_connections_per_ip", T::uint, &Config::max_connections_per_ip, "Connections one IP address may hold at once.").range(1, 10000000));
  t.push_back(option("max_violations", T::uint, &Config::max_violations, "Errors (bad requests, rate limiting) a connection may cause before it is closed.").range(1, 100000));
  // Engine
  t.push_back(choice("engine", &Config::engine, {"auto", "memory", "redis"}, "Where the state nodes share lives: memory (one node, nothing external) or redis (any number of nodes on the same Redis); auto picks redis when a Redis address is configured."));
  t.push_back(option("redis_url", T::string, &Config::redis_url, "Redis server(s) of the redis engine: redis://[[user]:password@]host[:port][/db]; several, comma-separated, are shards (every node must list the same, in the same order).").env("REDIS_URL"));
  t.push_back(option("redis_host", T::string, &Config::redis_host, "Redis server as host[:port], instead of redis_url.").env("REDIS_HOST"));
  t.push_back(option("redis_password", T::string, &Config::redis_password, "Password for every Redis server whose URL gives none.").env("REDIS_PASSWORD"));
  t.push_back(option("redis_database", T::uint, &Config::redis_database, "Database number for every Redis server whose URL gives none.").range(0, 1000000).env("REDIS_DATABASE"));
  t.push_back(option("redis_prefix", T::string, &Config::redis_prefix, "Prefix of every Redis key and Pub/Sub channel (several gateways can share one Redis under different prefixes)."));
  t.push_back(option("redis_command_timeout", T::duration, &Config::redis_command_timeout, "Time Redis has to answer a command; a late answer resets the connection and the call fails.").range(10, kMinute));
  t.push_back(option("redis_max_in_flight", T::uint, &Config::redis_max_in_flight, "Commands one Redis connection may have awaiting replies; more fail at once (unavailable, counted in switchboard_redis_rejected_total). Leave room for a reconnect storm: each connecting client costs about ten.").range(100, 10000000));
  t.push_back(choice("broker", &Config::broker, {"auto", "redis", "rabbitmq", "nats"}, "How nodes pass publications and node messages to each other: redis (the Redis engine's Pub/Sub), rabbitmq (a direct exchange and a queue per node on amqp_url), nats (subjects on nats_url); auto: the engine's own. rabbitmq and nats need engine = redis, which keeps history, the registry and idempotency keys."));
  t.push_back(option("broker_prefix", T::string, &Config::broker_prefix, "Name of the RabbitMQ exchange (and prefix of the node queues) or prefix of the NATS subjects of broker = rabbitmq or nats; the nodes of one cluster share it."));
  t.push_back(option("broker_gap_timeout", T::duration, &Config::broker_gap_timeout, "With broker = rabbitmq or nats: how long a publication that overtook an earlier one of its channel waits for it; then the channel's subscribers recover from history (counted in switchboard_broker_gaps_total).").range(1, 10000));
  t.push_back(option("node_id", T::string, &Config::node_id, "This node's name in the cluster (unique among running nodes); empty: the host name plus a random suffix."));
  // Broker ingress
  t.push_back(option("ingress_redis_url", T::string, &Config::ingress_redis_url, "Redis server whose Pub/Sub channels the [[ingress]] rules with source = \"redis\" consume (redis://[:password@]host[:port][/db]); empty: the engine's first Redis server."));
  t.push_back(option("nats_url", T::string, &Config::nats_url, "NATS server(s) the [[ingress]] rules with source = \"nats\" consume, and broker = nats carries publications between nodes through: nats://[user:password@]host[:port], several comma-separated (the client reconnects to any).").env("NATS_URL"));
  t.push_back(option("ingress_defaults", T::boolean, &Config::ingress_defaults, "With no [[ingress]] rule: with a Redis address, consume seed 001's channels (ws:conv:<id> to channel conv:<id>, ws:user:<id> to user <id>); with amqp_url and ingress_queue, consume that queue and broadcast each message as it is to every connection (seed 003)."));
  t.push_back(option("ingress_max_message_size", T::size, &Config::ingress_max_message_size, "Largest broker message an ingress rule delivers; larger ones are dropped and counted (reason too_large).").range(kKiB, 64 * kMiB));
  t.push_back(option("ingress_max_in_flight", T::uint, &Config::ingress_max_in_flight, "Ingress messages handed to the engine and not yet completed; more are dropped and counted (reason overloaded).").range(1, 10000000));
  t.push_back(option("amqp_url", T::string, &Config::amqp_url, "RabbitMQ server the [[ingress]] rules with source = \"rabbitmq\" consume, upstream_sink = rabbitmq publishes to, and broker = rabbitmq carries publications between nodes through: amqp://[user[:password]@]host[:port][/vhost] (vhost \"\" or \"/\" is \"/\"; amqps:// is not supported yet).").env("AMQP_URL"));
  t.push_back(option("ingress_queue", T::string, &Config::ingress_queue, "Queue of a RabbitMQ ingress rule that names none, and of the built-in rule (ingress_defaults).").env("QUEUE_NAME"));
  t.push_back(option("amqp_heartbeat", T::duration, &Config::amqp_heartbeat, "AMQP heartbeat asked of RabbitMQ (whole seconds; it may lower it); a server silent for twice as long is reconnected. 0 disables heartbeats.").range(0, 10 * kMinute));
  t.push_back(option("broker_timeout", T::duration, &Config::broker_timeout, "Time RabbitMQ or NATS has to accept the TCP connection, complete the login, and answer each setup call (declare, bind, consume, subscribe); with broker = rabbitmq or nats also each node-to-node send (its confirm, a node message's answer).").range(100, kMinute));
  t.push_back(option("postgres_url", T::string, &Config::postgres_url, "PostgreSQL server the [[ingress]] rules with source = \"postgres\" read their outbox table from: a libpq URI (postgres://user:password@host:5432/db?sslmode=disable) or key=value pairs; one libpq cannot parse stops the server (exit 2).").env("DATABASE_URL").env("POSTGRES_DSN"));
  t.push_back(option("postgres_statement_timeout", T::duration, &Config::postgres_statement_timeout, "Longest a PostgreSQL statement of the outbox may run (the session's statement_timeout); a server that does not answer for this long plus 2 s is reconnected.").range(100, 10 * kMinute));
  t.push_back(option("postgres_outbox_batch", T::uint, &Config::postgres_outbox_batch, "Outbox rows claimed (and committed) per transaction.").range(1, 10000));
  t.push_back(option("postgres_pool_size", T::uint, &Config::postgres_pool_size, "PostgreSQL sessions per server for the rules' enrich queries (a query goes to the least busy one that is connected).").range(1, 64));
  t.push_back(option("postgres_poll_interval", T::duration, &Config::postgres_poll_interval, "How often the outbox is claimed from without a NOTIFY (the fallback when a notification is lost, or the table has no trigger).").range(10, 10 * kMinute));
  // Logging
  t.push_back(choice("log_level", &Config::log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"}, "Least severe level logged.").env("LOGGER_LEVEL"));
  t.push_back(choice("log_format", &Config::log_format, {{"console", LogFormat::console}, {"json", LogFormat::json}}, "Log line format: human-readable console, or one JSON object per line.").env("LOGGER_ENCODING"));
  t.push_back(option("config", T::string, &Config::config_file, "TOML file to read options from (flags and environment override it).").not_in_file());
  // clang-format on
  return t;
}

std::string transform_name(std::string_view name, char separator, bool upper) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '_') {
      out.push_back(separator);
    } else {
      out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    }
  }
  return out;
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

std::string flag_name(const OptionSpec& spec) {
  return "--" + transform_name(spec.name, '-', false);
}

std::string env_name(const OptionSpec& spec) {
  return "SWITCHBOARD_" + transform_name(spec.name, '_', true);
}

std::vector<std::string> env_names(const OptionSpec& spec) {
  std::vector<std::string> names{env_name(spec)};
  for (auto alias : spec.env_aliases) names.emplace_back(alias);
  return names;
}

}  // namespace switchboard::config
