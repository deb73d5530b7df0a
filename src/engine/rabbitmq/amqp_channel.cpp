// A channel set up. See amqp_channel.hpp.
#include "amqp_channel.hpp"

#include <amqp_framing.h>

#include "amqp_error.hpp"

namespace switchboard::engine::rabbitmq {

amqp_bytes_t bytes_of(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

ChannelSetup setup_outcome(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char* what, const std::string& name) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
  ChannelSetup setup;
  setup.error = std::string(what) + (name.empty() ? "" : " '" + name + "'") + ": " +
                describe(reply);
  setup.connection_lost = connection_lost(reply);
  setup.code = reply_code(reply);
  if (!setup.connection_lost && !acknowledge_channel_close(conn, channel)) {
    setup.connection_lost = true;
  }
  return setup;
}

ChannelSetup open_channel(amqp_connection_state_t conn, amqp_channel_t channel,
                          std::uint16_t prefetch) {
  amqp_channel_open(conn, channel);
  if (auto s = setup_outcome(conn, channel, "channel.open", ""); !s.error.empty()) return s;
  if (prefetch == 0) return {};
  amqp_basic_qos(conn, channel, 0, prefetch, 0);
  return setup_outcome(conn, channel, "basic.qos", "");
}

ChannelSetup declare_exchange(amqp_connection_state_t conn, amqp_channel_t channel,
                              DeclareMode mode, std::uint16_t prefetch,
                              const std::string& exchange, const std::string& type,
                              bool durable) {
  return declare(conn, channel, mode, prefetch, "exchange.declare", exchange, [&](bool passive) {
    amqp_exchange_declare(conn, channel, bytes_of(exchange), bytes_of(type), passive, durable,
                          /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  });
}

bool acknowledge_channel_close(amqp_connection_state_t conn, amqp_channel_t channel) {
  amqp_channel_close_ok_t ok{};
  return amqp_send_method(conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) == AMQP_STATUS_OK;
}

}  // namespace switchboard::engine::rabbitmq
