#pragma once
// One consumer: what a rule consumes (AmqpConsumerSpec) and the calls that set it up on a
// channel of its own — qos, the exchange and queue (declared as `declare` says), the
// bindings, basic.consume with acknowledgements — each a synchronous RPC on the connection's
// thread.
//
// declare: automatic — the queue (and exchange) as it exists, declared passively; when the
// server answers 404 it is created (durable, with x-dead-letter-exchange when set), so a
// queue lost in a broker crash is declared again on the next connect. passive — it must
// exist (404 → the consumer is down, and tried again). create — declared with our arguments
// (406 PRECONDITION_FAILED when it exists with others).
//
// Thread safety: the connection's thread only.
#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::engine::rabbitmq {

enum class DeclareMode : std::uint8_t { automatic, passive, create };

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

// The outcome of a setup: empty `error` when consuming; else why not, and whether the
// connection itself is gone (then the caller reconnects; else only the channel closed, and
// the caller tries again later on the same channel number).
struct ConsumerSetup {
  std::string error;
  bool connection_lost = false;
  int code = 0;  // the server's reply code (404, 406, 403…), 0 for a library error
};

// Opens `channel` and starts consuming on it.
ConsumerSetup open_consumer(amqp_connection_state_t conn, amqp_channel_t channel,
                            const AmqpConsumerSpec& spec);

// Answers a server's channel.close on `channel` (close-ok), so that the number can be opened
// again. False when the connection is gone.
bool acknowledge_channel_close(amqp_connection_state_t conn, amqp_channel_t channel);

}  // namespace switchboard::engine::rabbitmq
