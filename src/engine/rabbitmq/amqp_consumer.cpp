// A consumer's channel set up. See amqp_consumer.hpp.
#include "amqp_consumer.hpp"

#include <amqp_framing.h>

#include "amqp_error.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

constexpr int kNotFound = 404;

amqp_bytes_t bytes_of(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

// The reply of the last RPC, as a setup outcome: empty when it succeeded. A channel the
// server closed is answered with close-ok here, so that it can be reopened.
ConsumerSetup outcome(amqp_connection_state_t conn, amqp_channel_t channel, const char* what,
                      const std::string& name) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
  ConsumerSetup setup;
  setup.error = std::string(what) + (name.empty() ? "" : " '" + name + "'") + ": " +
                describe(reply);
  setup.connection_lost = connection_lost(reply);
  setup.code = reply_code(reply);
  if (!setup.connection_lost && !acknowledge_channel_close(conn, channel)) {
    setup.connection_lost = true;
  }
  return setup;
}

ConsumerSetup open_channel(amqp_connection_state_t conn, amqp_channel_t channel,
                           std::uint16_t prefetch) {
  amqp_channel_open(conn, channel);
  if (auto s = outcome(conn, channel, "channel.open", ""); !s.error.empty()) return s;
  amqp_basic_qos(conn, channel, 0, prefetch, 0);
  return outcome(conn, channel, "basic.qos", "");
}

// Declares passively; on 404 with `automatic`, reopens the channel and creates it. The
// channel is open afterwards when the error is empty.
template <typename Declare>
ConsumerSetup declare(amqp_connection_state_t conn, amqp_channel_t channel,
                      const AmqpConsumerSpec& spec, const char* what, const std::string& name,
                      Declare declare_call) {
  if (spec.declare != DeclareMode::create) {
    declare_call(true);
    auto passive = outcome(conn, channel, what, name);
    if (passive.error.empty() || spec.declare == DeclareMode::passive ||
        passive.connection_lost || passive.code != kNotFound) {
      return passive;
    }
    // 404 closed the channel (answered in outcome()): open it again and create.
    if (auto s = open_channel(conn, channel, spec.prefetch); !s.error.empty()) return s;
  }
  declare_call(false);
  return outcome(conn, channel, what, name);
}

}  // namespace

bool acknowledge_channel_close(amqp_connection_state_t conn, amqp_channel_t channel) {
  amqp_channel_close_ok_t ok{};
  return amqp_send_method(conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) == AMQP_STATUS_OK;
}

ConsumerSetup open_consumer(amqp_connection_state_t conn, amqp_channel_t channel,
                            const AmqpConsumerSpec& spec) {
  if (auto s = open_channel(conn, channel, spec.prefetch); !s.error.empty()) return s;
  if (!spec.exchange.empty()) {
    auto s = declare(conn, channel, spec, "exchange.declare", spec.exchange, [&](bool passive) {
      amqp_exchange_declare(conn, channel, bytes_of(spec.exchange), bytes_of(spec.exchange_type),
                            passive, spec.durable, /*auto_delete=*/0, /*internal=*/0,
                            amqp_empty_table);
    });
    if (!s.error.empty()) return s;
  }
  amqp_table_entry_t dlx;
  dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
  dlx.value.kind = AMQP_FIELD_KIND_UTF8;
  dlx.value.value.bytes = bytes_of(spec.dead_letter_exchange);
  const amqp_table_t arguments{spec.dead_letter_exchange.empty() ? 0 : 1, &dlx};
  auto s = declare(conn, channel, spec, "queue.declare", spec.queue, [&](bool passive) {
    amqp_queue_declare(conn, channel, bytes_of(spec.queue), passive, spec.durable,
                       /*exclusive=*/0, /*auto_delete=*/0,
                       passive ? amqp_empty_table : arguments);
  });
  if (!s.error.empty()) return s;
  for (const auto& key : spec.bindings) {
    amqp_queue_bind(conn, channel, bytes_of(spec.queue), bytes_of(spec.exchange), bytes_of(key),
                    amqp_empty_table);
    if (auto b = outcome(conn, channel, "queue.bind", key); !b.error.empty()) return b;
  }
  amqp_basic_consume(conn, channel, bytes_of(spec.queue), amqp_empty_bytes, /*no_local=*/0,
                     /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  return outcome(conn, channel, "basic.consume", spec.queue);
}

}  // namespace switchboard::engine::rabbitmq
