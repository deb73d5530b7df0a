#pragma once
// A plain synchronous librabbitmq client for tests: declares, publishes, counts and gets
// messages on a private RabbitMQ node, so that the client under test (AmqpConnection) is
// checked against what the broker holds, not against itself. Throws std::runtime_error when
// a call fails.
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace switchboard::engine::rabbitmq::testing {

class AmqpTestClient {
 public:
  explicit AmqpTestClient(std::uint16_t port) : conn_(amqp_new_connection()) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (socket == nullptr || amqp_socket_open(socket, "127.0.0.1", port) != AMQP_STATUS_OK) {
      amqp_destroy_connection(conn_);
      throw std::runtime_error("test client: cannot connect to port " + std::to_string(port));
    }
    check(amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn_, 1);
    check(amqp_get_rpc_reply(conn_), "channel.open");
  }
  ~AmqpTestClient() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  AmqpTestClient(const AmqpTestClient&) = delete;
  AmqpTestClient& operator=(const AmqpTestClient&) = delete;

  void declare_queue(const std::string& name, bool durable = true,
                     const std::string& dead_letter_exchange = "") {
    amqp_table_entry_t dlx;
    dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
    dlx.value.kind = AMQP_FIELD_KIND_UTF8;
    dlx.value.value.bytes = amqp_cstring_bytes(dead_letter_exchange.c_str());
    amqp_queue_declare(conn_, 1, amqp_cstring_bytes(name.c_str()), 0, durable, 0, 0,
                       amqp_table_t{dead_letter_exchange.empty() ? 0 : 1, &dlx});
    check(amqp_get_rpc_reply(conn_), "queue.declare " + name);
  }
  void declare_exchange(const std::string& name, const std::string& type) {
    amqp_exchange_declare(conn_, 1, amqp_cstring_bytes(name.c_str()),
                          amqp_cstring_bytes(type.c_str()), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "exchange.declare " + name);
  }
  void bind(const std::string& queue, const std::string& exchange, const std::string& key) {
    amqp_queue_bind(conn_, 1, amqp_cstring_bytes(queue.c_str()),
                    amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes(key.c_str()),
                    amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.bind " + queue);
  }
  void delete_queue(const std::string& name) {
    amqp_queue_delete(conn_, 1, amqp_cstring_bytes(name.c_str()), 0, 0);
    check(amqp_get_rpc_reply(conn_), "queue.delete " + name);
  }
  // A persistent message to the default exchange (routing key = queue) or to `exchange`.
  void publish(const std::string& routing_key, const std::string& body,
               const std::string& exchange = "") {
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    const amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
    if (amqp_basic_publish(conn_, 1, amqp_cstring_bytes(exchange.c_str()),
                           amqp_cstring_bytes(routing_key.c_str()), 0, 0, &props,
                           bytes) != AMQP_STATUS_OK) {
      throw std::runtime_error("test client: basic.publish failed");
    }
  }
  // Ready messages in `queue` (a passive declare: it must exist). Unacknowledged deliveries
  // are not counted; a round trip, so the messages published before are counted.
  std::uint32_t ready(const std::string& queue) {
    auto* ok = amqp_queue_declare(conn_, 1, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0,
                                  amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.declare passive " + queue);
    return ok->message_count;
  }
  // basic.get with auto-ack: the body of the next ready message, if any.
  std::optional<std::string> get(const std::string& queue) {
    amqp_rpc_reply_t reply = amqp_basic_get(conn_, 1, amqp_cstring_bytes(queue.c_str()), 1);
    check(reply, "basic.get " + queue);
    if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD) return std::nullopt;
    amqp_message_t message;
    check(amqp_read_message(conn_, 1, &message, 0), "read_message");
    std::string body(static_cast<const char*>(message.body.bytes), message.body.len);
    amqp_destroy_message(&message);
    return body;
  }

 private:
  static void check(const amqp_rpc_reply_t& reply, const std::string& what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      throw std::runtime_error("test client: " + what + " failed (reply type " +
                               std::to_string(reply.reply_type) + ")");
    }
  }
  amqp_connection_state_t conn_;
};

}  // namespace switchboard::engine::rabbitmq::testing
