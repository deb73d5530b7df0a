#pragma once
// Parsing an AMQP 0-9-1 address as the configuration accepts it (amqp_url, AMQP_URL, a
// rule's url):
//
//   amqp://[user[:password]@]host[:port][/vhost]
//
// port defaults to 5672, user and password to guest/guest (RabbitMQ's). The vhost is the
// percent-decoded path after the first '/': none, "" or "/" are the default vhost "/" — as
// Go's amqp091 (seed 003's client) reads "amqp://u:p@host:5672/", where rabbitmq-c's own
// amqp_parse_url gives "" and the login would fail — and "%2f" is "/" too ("/%2fprod" is
// "/prod"). Credentials may be percent-encoded. Refused, with a message that says why:
// amqps:// (TLS is not wired yet), any other scheme, query parameters (heartbeat= and the
// like: amqp_heartbeat and broker_timeout are options), a '/' left undecoded in the vhost.
// Error messages never contain the password.
#include <string>
#include <string_view>

#include "amqp_endpoint.hpp"

namespace switchboard::engine::rabbitmq {

struct AmqpUrlResult {
  AmqpEndpoint endpoint;  // valid when `error` is empty
  std::string error;

  bool ok() const noexcept { return error.empty(); }
};

AmqpUrlResult parse_amqp_url(std::string_view text);

}  // namespace switchboard::engine::rabbitmq
