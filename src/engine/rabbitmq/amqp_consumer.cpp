// A consumer's channel set up. See amqp_consumer.hpp.
#include "amqp_consumer.hpp"

#include <amqp_framing.h>

namespace switchboard::engine::rabbitmq {

ChannelSetup open_consumer(amqp_connection_state_t conn, amqp_channel_t channel,
                           const AmqpConsumerSpec& spec, const std::set<std::string>& bindings) {
  if (auto s = open_channel(conn, channel, spec.prefetch); !s.error.empty()) return s;
  if (!spec.exchange.empty()) {
    auto s = declare_exchange(conn, channel, spec.declare, spec.prefetch, spec.exchange,
                              spec.exchange_type, spec.durable);
    if (!s.error.empty()) return s;
  }
  amqp_table_entry_t dlx;
  dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
  dlx.value.kind = AMQP_FIELD_KIND_UTF8;
  dlx.value.value.bytes = bytes_of(spec.dead_letter_exchange);
  const amqp_table_t arguments{spec.dead_letter_exchange.empty() ? 0 : 1, &dlx};
  auto s = declare(conn, channel, spec.declare, spec.prefetch, "queue.declare", spec.queue,
                   [&](bool passive) {
                     amqp_queue_declare(conn, channel, bytes_of(spec.queue), passive,
                                        spec.durable, spec.exclusive, spec.auto_delete,
                                        passive ? amqp_empty_table : arguments);
                   });
  if (!s.error.empty()) return s;
  for (const auto& key : bindings) {
    amqp_queue_bind(conn, channel, bytes_of(spec.queue), bytes_of(spec.exchange), bytes_of(key),
                    amqp_empty_table);
    if (auto b = setup_outcome(conn, channel, "queue.bind", key); !b.error.empty()) return b;
  }
  amqp_basic_consume(conn, channel, bytes_of(spec.queue), amqp_empty_bytes, /*no_local=*/0,
                     spec.no_ack, /*exclusive=*/0, amqp_empty_table);
  return setup_outcome(conn, channel, "basic.consume", spec.queue);
}

}  // namespace switchboard::engine::rabbitmq
