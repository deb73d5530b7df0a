#pragma once
// RabbitMqUpstream: client events to a RabbitMQ exchange (upstream_exchange, declared topic
// and durable when missing), routing key upstream_topic filled from each event; one
// persistent application/json message per event, or the batch's JSON array as one
// (upstream_message = "batch"). An attempt is done when RabbitMQ confirmed every message of
// it (publisher confirms); a basic.nack, a basic.return (below), the connection lost or no
// confirm within the attempt's timeout fails it, and the buffer sends again, in order, the
// events whose messages RabbitMQ did not confirm (at least once: a message sent but whose
// confirm was lost is sent twice). The batch as one message is sent whole again.
//
// The connection is one of its own (not the ingress's): the engine's AmqpConnection with a
// publisher and no consumer, on its thread "sb-amqp-up"; RabbitMQ throttles a publishing
// connection under a memory or disk alarm, which leaves consuming connections alone.
//
// Mandatory: a message no queue is bound for comes back (basic.return) and fails its attempt,
// counted in unroutable_total() and logged at most once a second with its routing key — an
// event a client sent is never dropped by RabbitMQ silently. While nothing is ever bound the
// buffer's retries keep failing, it fills, and senders get buffer_full (as with RabbitMQ
// down); an exchange with an alternate-exchange routes every message, so nothing returns.
//
// Thread safety: as UpstreamTransport (the housekeeping thread); each answer is posted there
// from the connection's thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "amqp_connection.hpp"
#include "switchboard/config/rate_limited_log.hpp"
#include "switchboard/ingress/upstream_transport.hpp"
#include "upstream_topic.hpp"

namespace switchboard::ingress {

class RabbitMqUpstream final : public UpstreamTransport {
 public:
  struct Options {
    engine::rabbitmq::AmqpEndpoint endpoint;
    std::chrono::seconds heartbeat{10};
    std::chrono::milliseconds timeout{5000};  // connect, login, setup (broker_timeout)
    std::string exchange = "switchboard.events";
    UpstreamTopic topic;
    bool one_per_event = true;
  };
  RabbitMqUpstream(boost::asio::any_io_executor executor, Options options);
  ~RabbitMqUpstream() override;

  std::string_view name() const noexcept override { return "rabbitmq"; }
  void start() override { connection_->start(); }
  void send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
            Done done) override;
  void stop() override;
  std::uint64_t unroutable_total() const noexcept override {
    return unroutable_.load(std::memory_order_relaxed);
  }

 private:
  boost::asio::any_io_executor executor_;
  Options options_;
  // Counted on the connection's thread, which stop() (and so the destructor) joins.
  std::atomic<std::uint64_t> unroutable_{0};
  config::RateLimitedLog unroutable_log_;
  std::unique_ptr<engine::rabbitmq::AmqpConnection> connection_;
};

}  // namespace switchboard::ingress
