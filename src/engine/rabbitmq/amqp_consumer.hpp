#pragma once
// One consumer: what a rule consumes (AmqpConsumerSpec) and the calls that set it up on a
// channel of its own — qos, the exchange and queue (declared as `declare` says,
// amqp_channel.hpp; a queue we create is durable, with x-dead-letter-exchange when set), the
// bindings, basic.consume with acknowledgements — each a synchronous RPC on the connection's
// thread.
//
// Thread safety: the connection's thread only.
#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "amqp_channel.hpp"

namespace switchboard::engine::rabbitmq {

struct AmqpConsumerSpec {
  std::string queue;
  DeclareMode declare = DeclareMode::automatic;
  bool durable = true;                // when we create the queue (and the exchange)
  std::string dead_letter_exchange;   // x-dead-letter-exchange when we create the queue
  std::string exchange;               // empty: the queue only (the default exchange)
  std::string exchange_type = "topic";
  std::vector<std::string> bindings;  // routing keys binding the queue to `exchange`
  std::uint16_t prefetch = 256;       // unacknowledged deliveries at once
};

// Opens `channel` and starts consuming on it.
ChannelSetup open_consumer(amqp_connection_state_t conn, amqp_channel_t channel,
                           const AmqpConsumerSpec& spec);

}  // namespace switchboard::engine::rabbitmq
