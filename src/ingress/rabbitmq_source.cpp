#include "rabbitmq_source.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace switchboard::ingress {

namespace asio = boost::asio;
using engine::rabbitmq::AmqpDelivery;

namespace {
constexpr std::chrono::milliseconds kRetryInitial{100};
constexpr std::chrono::milliseconds kRetryMax{5000};
}  // namespace

struct RabbitMqIngressSource::Held {
  AmqpDelivery delivery;
  std::size_t rule = 0;
  unsigned attempts = 0;  // hand-overs that failed
  std::unique_ptr<asio::steady_timer> timer;
};

RabbitMqIngressSource::RabbitMqIngressSource(asio::any_io_executor executor,
                                             RabbitMqSourceOptions options, Handoff& handoff)
    : executor_(executor),
      options_(std::move(options)),
      handoff_(handoff),
      name_("ingress rabbitmq " + options_.endpoint.address()) {
  link_->source = this;
  link_->executor = executor;
  engine::rabbitmq::AmqpOptions o;
  o.endpoint = options_.endpoint;
  o.heartbeat = options_.heartbeat;
  o.timeout = options_.timeout;
  o.thread_name = options_.thread_name;
  // The connection's thread copies each delivery out and posts it here: routing, batches
  // and the hand-over stay on the ingress thread.
  connection_ = std::make_shared<engine::rabbitmq::AmqpConnection>(
      std::move(o), [link = link_](AmqpDelivery d) {
        auto held = std::make_shared<Held>();
        held->rule = link->rules[d.consumer];
        held->delivery = std::move(d);
        std::lock_guard lock(link->mutex);
        if (link->stopped) return;
        asio::post(link->executor, [link, held = std::move(held)]() mutable {
          if (link->stopped) return;  // set on this thread: no lock needed to read it here
          link->source->take(std::move(held));
        });
      });
}

RabbitMqIngressSource::~RabbitMqIngressSource() { stop(); }

void RabbitMqIngressSource::add(std::size_t rule, engine::rabbitmq::AmqpConsumerSpec spec) {
  link_->rules.push_back(rule);
  connection_->add(std::move(spec));
}

void RabbitMqIngressSource::start() {
  if (started_) return;
  started_ = true;
  connection_->start();
}

void RabbitMqIngressSource::stop() {
  {
    std::lock_guard lock(link_->mutex);
    if (link_->stopped) return;
    link_->stopped = true;
  }
  // Sends the acknowledgements settled so far, closes (RabbitMQ requeues the rest).
  connection_->stop();
}

void RabbitMqIngressSource::take(std::shared_ptr<Held> held) {
  const auto& d = held->delivery;
  IngressMessage message{d.routing_key, {}, d.body, d.message_id};
  message.attempt = held->attempts;
  const std::size_t rule = held->rule;
  if (held->attempts == 0) {
    handoff_.take(rule, message, settle_for(std::move(held)));
  } else {
    handoff_.retry(rule, message, settle_for(std::move(held)));
  }
}

Settle RabbitMqIngressSource::settle_for(std::shared_ptr<Held> held) {
  // Runs once, on any thread (the engine's completion, or the ingress thread).
  return [connection = connection_, link = link_, held = std::move(held)](Outcome outcome) {
    const AmqpDelivery& d = held->delivery;
    switch (outcome) {
      case Outcome::delivered:
        connection->ack(d.consumer, d.generation, d.delivery_tag);
        return;
      case Outcome::rejected:
        connection->reject(d.consumer, d.generation, d.delivery_tag, /*requeue=*/false);
        return;
      case Outcome::failed: {
        std::lock_guard lock(link->mutex);
        if (link->stopped) return;  // unacknowledged: requeued when the connection closes
        asio::post(link->executor, [link, held] {
          if (!link->stopped) link->source->retry_later(held);
        });
        return;
      }
    }
  };
}

void RabbitMqIngressSource::retry_later(std::shared_ptr<Held> held) {
  // Jittered, doubling: [d/2, d] with d = 100 ms · 2^attempts, at most 5 s.
  const auto ceiling = std::min<std::int64_t>(
      kRetryMax.count(), kRetryInitial.count() << std::min(held->attempts, 6u));
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  ++held->attempts;
  held->timer = std::make_unique<asio::steady_timer>(executor_);
  held->timer->expires_after(std::chrono::milliseconds(pick(jitter_)));
  held->timer->async_wait([link = link_, held](boost::system::error_code ec) mutable {
    if (ec || link->stopped) return;
    RabbitMqIngressSource& self = *link->source;
    // Its channel is gone: RabbitMQ requeued it and delivers it again.
    if (!self.connection_->current(held->delivery.consumer, held->delivery.generation)) return;
    self.take(std::move(held));
  });
}

engine::BackendHealth RabbitMqIngressSource::health() const {
  const bool is_up = up();
  return engine::BackendHealth{name_, is_up, is_up ? std::string() : connection_->status()};
}

}  // namespace switchboard::ingress
