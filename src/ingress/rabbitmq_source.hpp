#pragma once
// RabbitMqIngressSource: one RabbitMQ server's queues, one consumer (channel) per rule, over
// the engine's AmqpConnection (its own sb-amqp-<n> thread: login, heartbeats, reconnect,
// re-declare and re-consume after each reconnect).
//
// Each delivery is posted from the connection's thread to the ingress thread and handed to
// the Handoff there with a Settle that answers RabbitMQ once the node is done with it:
//   delivered → basic.ack, only after the node's publish completed (at least once: a node
//               killed before that loses nothing, RabbitMQ delivers the message again);
//   rejected  → basic.reject without requeue: to the queue's dead-letter exchange, if any;
//   failed    → the engine did not take it (or too many were in flight): kept unacknowledged
//               and handed over again after a jittered backoff (100 ms … 5 s), never
//               dead-lettered for an engine failure; counted in retries_total.
// A settle or retry of a channel generation that is gone (the connection was lost since) does
// nothing: RabbitMQ requeued the message when the channel closed and delivers it again.
//
// Thread safety: constructed, started, stopped and fed on the ingress thread (its executor);
// the settles on any thread, also after the source is gone; health(), name(), up() and
// connects() from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "amqp_connection.hpp"
#include "handoff.hpp"
#include "ingress_source.hpp"

namespace switchboard::ingress {

struct RabbitMqSourceOptions {
  engine::rabbitmq::AmqpEndpoint endpoint;
  std::chrono::seconds heartbeat{10};
  std::chrono::milliseconds timeout{5000};
  std::string thread_name = "sb-amqp-0";
};

class RabbitMqIngressSource final : public IngressSource {
 public:
  RabbitMqIngressSource(boost::asio::any_io_executor executor, RabbitMqSourceOptions options,
                        Handoff& handoff);
  ~RabbitMqIngressSource() override;

  // Before start(): rule `rule` consumes this queue.
  void add(std::size_t rule, engine::rabbitmq::AmqpConsumerSpec spec);
  void start() override;
  void stop() override;

  const std::string& name() const noexcept override { return name_; }
  engine::BackendHealth health() const override;
  bool up() const noexcept override { return connection_->up(); }
  std::uint64_t connects() const noexcept override { return connection_->connects(); }

 private:
  // What a settle needs, also after the source is gone.
  struct Link {
    std::mutex mutex;
    bool stopped = false;                 // under mutex; also read on the ingress thread
    RabbitMqIngressSource* source = nullptr;
    boost::asio::any_io_executor executor;
    std::vector<std::size_t> rules;  // consumer index → rule; fixed before start()
  };
  struct Held;  // one delivery until it is settled (rabbitmq_source.cpp)

  void take(std::shared_ptr<Held> held);
  Settle settle_for(std::shared_ptr<Held> held);
  void retry_later(std::shared_ptr<Held> held);

  boost::asio::any_io_executor executor_;
  RabbitMqSourceOptions options_;
  Handoff& handoff_;
  std::string name_;
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  std::shared_ptr<engine::rabbitmq::AmqpConnection> connection_;  // set once, in the constructor
  bool started_ = false;
  std::mt19937 jitter_{std::random_device{}()};  // the ingress thread's
};

}  // namespace switchboard::ingress
