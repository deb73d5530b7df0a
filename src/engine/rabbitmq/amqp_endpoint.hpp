#pragma once
// AmqpEndpoint: where one RabbitMQ server is and how to log in to it (amqp_url, a rule's url).
#include <cstdint>
#include <string>

namespace switchboard::engine::rabbitmq {

struct AmqpEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5672;
  std::string user = "guest";      // RabbitMQ's defaults when the URL names none
  std::string password = "guest";
  std::string vhost = "/";

  // "host:port/vhost" without credentials: safe for logs, /health and metric labels.
  std::string address() const;

  friend bool operator==(const AmqpEndpoint&, const AmqpEndpoint&) = default;
};

}  // namespace switchboard::engine::rabbitmq
