#pragma once
// The RabbitMQ BrokerTransport (relay/broker_transport.hpp): `broker = "rabbitmq"` moves the
// relay broker's messages between nodes over RabbitMQ, beside the Redis engine's history,
// registry and keys (docs/ingress-plan.md 4.1). One AMQP connection per node
// (src/engine/rabbitmq/amqp_connection.hpp), on a thread of its own:
//
// - a direct exchange `<prefix>` (exact routing keys: channel names may hold `.`, `*`, `#`,
//   which a topic exchange would read as patterns), declared when missing, not durable;
// - the node's queue `<prefix>.node.<id>`: exclusive (a second node with the same id gets
//   405 RESOURCE_LOCKED → start() throws std::invalid_argument) and auto-delete (gone with
//   the connection, bindings and all), bound with `n.<id>` and `c.<channel>` per subscribed
//   channel — `h.<sha256 hex of the channel>` when `c.<channel>` would pass the 255-byte
//   routing key limit (rabbitmq_routing.hpp); consumed with automatic acknowledgement.
//   At most once, as Redis Pub/Sub: what is sent while a node is disconnected is gone; the
//   relay broker's sequencer and history recovery cover it (on_subscription_restored).
// - send(): basic.publish with `c.<channel>` on a confirm-mode channel, complete on the
//   broker's basic.ack; send_to_node(): `n.<id>`, mandatory: basic.return (no queue bound:
//   the node is not running) → EngineErrc::unknown_node.
//
// Failures: subscribe while disconnected → `unavailable` at once (not remembered); a send
// while disconnected, nacked, or with its channel lost before the confirm → `unavailable`; no
// confirm within `timeout` → `timeout` (it may still arrive). After a reconnect the queue is
// declared again, every subscribed channel bound again, then each reported through
// on_subscription_restored. A reconnect that finds the queue still held (405: the server has
// not noticed yet that our previous connection is gone, up to 2 × heartbeat) tries again with
// backoff; /health says why meanwhile.
#include <chrono>
#include <memory>
#include <string>

#include "switchboard/engine/relay/broker_transport.hpp"

namespace switchboard::engine::rabbitmq {

struct RabbitMqTransportConfig {
  std::string url;                        // amqp://user:pass@host:port/vhost (amqp_url.hpp)
  std::string prefix = "switchboard";     // the exchange, and the node queues' prefix
  std::chrono::seconds heartbeat{10};     // 0: none
  std::chrono::milliseconds timeout{5000};  // connect, each RPC, each publish's confirm
};

// Throws std::invalid_argument for a URL parse_amqp_url refuses, or an unusable prefix (empty,
// `amq.`…, over 200 bytes). Connects in start().
std::shared_ptr<relay::BrokerTransport> make_rabbitmq_transport(
    const RabbitMqTransportConfig& config);

}  // namespace switchboard::engine::rabbitmq
