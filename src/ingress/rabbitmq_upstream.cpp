#include "rabbitmq_upstream.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>


namespace switchboard::ingress {

using engine::rabbitmq::AmqpMessage;
using engine::rabbitmq::PublishResult;

RabbitMqUpstream::RabbitMqUpstream(boost::asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  engine::rabbitmq::AmqpOptions o;
  o.endpoint = options_.endpoint;
  o.heartbeat = options_.heartbeat;
  o.timeout = options_.timeout;
  o.thread_name = "sb-amqp-up";
  connection_ = std::make_unique<engine::rabbitmq::AmqpConnection>(std::move(o), nullptr);
  connection_->set_publisher({.exchange = options_.exchange});
}

RabbitMqUpstream::~RabbitMqUpstream() { stop(); }

void RabbitMqUpstream::send(const std::vector<UpstreamEvent>& batch,
                            std::chrono::milliseconds timeout, Done done) {
  std::vector<AmqpMessage> messages;
  if (options_.one_per_event) {
    messages.reserve(batch.size());
    for (const auto& event : batch) {
      messages.push_back({options_.topic.fill(event), to_json(event), /*mandatory=*/true});
    }
  } else {
    messages.push_back({options_.topic.fill(batch.front()), to_json(batch), /*mandatory=*/true});
  }
  // Answered on the connection's thread (or here): handed to the housekeeping thread.
  connection_->publish(
      std::move(messages), timeout,
      [this, done = std::move(done)](PublishResult result, std::string detail,
                                     std::vector<bool> delivered) {
        if (result == PublishResult::returned) {
          unroutable_.fetch_add(1, std::memory_order_relaxed);
          if (const auto n = unroutable_log_.occurred()) {
            spdlog::warn("upstream rabbitmq: no queue bound on exchange '{}' ({}); the batch is "
                         "retried ({} since the last report)",
                         options_.exchange, detail, n);
          }
        }
        const bool ok = result == PublishResult::confirmed;
        // One message per event: the events RabbitMQ has are left out of the retry. One for
        // the batch: it failed, none is kept.
        std::vector<bool> kept;
        if (!ok && options_.one_per_event) kept = std::move(delivered);
        boost::asio::post(executor_, [done, ok, detail = std::move(detail),
                                      kept = std::move(kept)]() mutable {
          done(ok, detail, std::move(kept));
        });
      });
}

void RabbitMqUpstream::stop() {
  if (connection_) connection_->stop();
}

}  // namespace switchboard::ingress
