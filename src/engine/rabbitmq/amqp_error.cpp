// librabbitmq replies as text. See amqp_error.hpp.
#include "amqp_error.hpp"

#include <amqp_framing.h>

namespace switchboard::engine::rabbitmq {
namespace {

std::string text_of(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

}  // namespace

std::string describe_status(int status) { return amqp_error_string2(status); }

std::string describe(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return {};
    case AMQP_RESPONSE_NONE:
      return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return describe_status(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
        return std::to_string(close->reply_code) + " " + text_of(close->reply_text);
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
        return std::to_string(close->reply_code) + " " + text_of(close->reply_text);
      }
      return "unexpected method " + std::to_string(reply.reply.id);
  }
  return "unknown reply";
}

int reply_code(const amqp_rpc_reply_t& reply) {
  if (reply.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) return 0;
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    return static_cast<const amqp_connection_close_t*>(reply.reply.decoded)->reply_code;
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    return static_cast<const amqp_channel_close_t*>(reply.reply.decoded)->reply_code;
  }
  return 0;
}

bool connection_lost(const amqp_rpc_reply_t& reply) {
  return reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ||
         reply.reply_type == AMQP_RESPONSE_NONE ||
         (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
          reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD);
}

}  // namespace switchboard::engine::rabbitmq
