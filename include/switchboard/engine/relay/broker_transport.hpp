#pragma once
// BrokerTransport: what the relay broker (relay_broker.hpp) needs from a message server that
// is not the history store — RabbitMQ (rabbitmq/rabbitmq_transport.hpp) or NATS
// (nats/nats_transport.hpp): named channels a node subscribes to, and a mailbox per node.
// It moves opaque messages (encode_positioned(), publication_codec.hpp); the relay broker
// does the rest (history, idempotency keys, offset order, decoding).
//
// Contract (tests/contract/broker_contract.hpp runs it through the relay broker):
// - send(channel) reaches every node whose transport subscribed to `channel` when it was
//   sent, the sender included, each once; one sender's messages of one channel arrive in the
//   order sent; a node's subscriptions are a set (subscribing twice, one unsubscribe ends it);
// - subscribe() completes once messages for the channel are being delivered (RabbitMQ:
//   queue.bind-ok; NATS: the SUB flushed); unsubscribe() once they have stopped;
// - send_to_node(id) reaches node `id`'s on_node_message and nobody else; no such node
//   listening completes with EngineErrc::unknown_node (RabbitMQ: mandatory + basic.return;
//   NATS: no responders);
// - one channel's messages are handed to on_channel_message one at a time (never two threads
//   at once for one channel), so the receiver's ordering holds;
// - after a lost connection comes back, every channel is subscribed again and each is
//   reported through on_subscription_restored (what was sent meanwhile is gone);
// - every completion runs exactly once: empty once it took effect, else an EngineErrc
//   (unavailable while disconnected, timeout when the server did not answer in time).
//
// Thread safety: any method from any thread after start(); callbacks on the transport's own
// threads, never while a lock the caller could need is held.
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/error.hpp"
#include "switchboard/engine/metrics_sink.hpp"

namespace switchboard::engine::relay {

class TransportReceiver {
 public:
  virtual ~TransportReceiver() = default;
  virtual void on_channel_message(std::string_view message) = 0;
  virtual void on_node_message(std::string_view message) = 0;
  virtual void on_subscription_restored(std::string_view channel) = 0;
};

class BrokerTransport {
 public:
  virtual ~BrokerTransport() = default;
  // Connects as node `node_id` and starts delivering to `receiver` (which outlives the
  // transport). Throws std::invalid_argument when another running node holds the id (where
  // the server can tell: RabbitMQ's exclusive node queue). A server that is down does not
  // throw: the transport connects in the background and calls fail with `unavailable`.
  virtual void start(std::string node_id, TransportReceiver& receiver) = 0;
  // Closes the connection; pending calls complete with `unavailable`. Idempotent.
  virtual void stop() = 0;
  virtual void subscribe(std::string_view channel, Completion done) = 0;
  virtual void unsubscribe(std::string_view channel, Completion done) = 0;
  virtual void send(std::string_view channel, std::string message, Completion done) = 0;
  virtual void send_to_node(std::string_view node_id, std::string message, Completion done) = 0;
  // For /health, /ready and /metrics: the server and whether it is reachable.
  virtual std::vector<BackendHealth> health() const = 0;
  virtual void write_metrics(MetricsSink& sink) const = 0;
};

}  // namespace switchboard::engine::relay
