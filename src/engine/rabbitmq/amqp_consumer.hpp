#pragma once
// One consumer: what a rule consumes (AmqpConsumerSpec) and the calls that set it up on a
// channel of its own — qos, the exchange and queue (declared as `declare` says,
// amqp_channel.hpp; a queue we create is durable, with x-dead-letter-exchange when set), the
// bindings, basic.consume (with acknowledgements unless `no_ack`) — each a synchronous RPC on
// the connection's thread.
//
// An `exclusive` queue (the relay transport's node queue, rabbitmq_transport.cpp) belongs to
// the connection that declared it: another connection's declare gets 405 RESOURCE_LOCKED, and
// with `auto_delete` RabbitMQ deletes it (and its bindings) when that connection closes — so it
// is declared with `declare = create` on every connect.
//
// Thread safety: the connection's thread only.
#include <amqp.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "amqp_channel.hpp"

namespace switchboard::engine::rabbitmq {

struct AmqpConsumerSpec {
  std::string queue;
  DeclareMode declare = DeclareMode::automatic;
  bool durable = true;                // when we create the queue (and the exchange)
  std::string dead_letter_exchange;   // x-dead-letter-exchange when we create the queue
  bool exclusive = false;             // when we create the queue
  bool auto_delete = false;           // when we create the queue
  bool no_ack = false;                // automatic acknowledgement: at most once
  std::string exchange;               // empty: the queue only (the default exchange)
  std::string exchange_type = "topic";
  std::vector<std::string> bindings;  // routing keys binding the queue to `exchange` at first
  std::uint16_t prefetch = 256;       // unacknowledged deliveries at once (0: no basic.qos)
};

// Opens `channel` and starts consuming on it, the queue bound with `bindings` (the spec's, and
// those AmqpConnection::bind() added since).
ChannelSetup open_consumer(amqp_connection_state_t conn, amqp_channel_t channel,
                           const AmqpConsumerSpec& spec, const std::set<std::string>& bindings);

}  // namespace switchboard::engine::rabbitmq
