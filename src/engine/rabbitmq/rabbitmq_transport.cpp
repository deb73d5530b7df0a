// The RabbitMQ BrokerTransport over one AmqpConnection. See rabbitmq_transport.hpp.
#include "switchboard/engine/rabbitmq/rabbitmq_transport.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "amqp_connection.hpp"
#include "amqp_url.hpp"
#include "rabbitmq_routing.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

constexpr int kResourceLocked = 405;  // an exclusive queue another connection holds

// A caller may pass an empty completion (the relay broker hands publish_to_node's through,
// and broker.hpp allows one).
void complete(const Completion& done, std::error_code ec) {
  if (done) done(ec);
}

std::error_code unavailable_unless(bool ok) {
  return ok ? std::error_code{} : make_error_code(EngineErrc::unavailable);
}

std::error_code error_of(PublishResult result) {
  switch (result) {
    case PublishResult::confirmed: return {};
    case PublishResult::returned: return make_error_code(EngineErrc::unknown_node);
    case PublishResult::timed_out: return make_error_code(EngineErrc::timeout);
    case PublishResult::refused:
    case PublishResult::lost: break;
  }
  return make_error_code(EngineErrc::unavailable);
}

class RabbitMqTransport final : public relay::BrokerTransport {
 public:
  RabbitMqTransport(RabbitMqTransportConfig config, AmqpEndpoint endpoint)
      : config_(std::move(config)),
        endpoint_(std::move(endpoint)),
        name_("rabbitmq " + endpoint_.address()) {}
  ~RabbitMqTransport() override { stop(); }

  void start(std::string node_id, relay::TransportReceiver& receiver) override;
  void stop() override {
    if (connection_) connection_->stop();
  }
  void subscribe(std::string_view channel, Completion done) override;
  void unsubscribe(std::string_view channel, Completion done) override;
  void send(std::string_view channel, std::string message, Completion done) override {
    publish(channel_routing_key(channel), std::move(message), false, std::move(done));
  }
  void send_to_node(std::string_view node_id, std::string message, Completion done) override;
  std::vector<BackendHealth> health() const override;
  void write_metrics(MetricsSink& sink) const override;

 private:
  // What start() waits for: the node queue's first setup outcome, or the server unreachable.
  // `background`: not consuming yet, the connection keeps trying (unreachable, or a setup
  // error other than 405, which /health shows).
  enum class Start : std::uint8_t { waiting, consuming, background, taken };

  void publish(std::string routing_key, std::string message, bool mandatory, Completion done);
  void on_delivery(AmqpDelivery delivery);
  void on_setup(std::size_t consumer, const ChannelSetup& outcome);

  const RabbitMqTransportConfig config_;
  const AmqpEndpoint endpoint_;
  const std::string name_;  // "rabbitmq host:port/vhost"
  relay::TransportReceiver* receiver_ = nullptr;
  std::unique_ptr<AmqpConnection> connection_;  // set by start()
  std::size_t consumer_ = 0;                    // the node queue's, in connection_

  // The channels bound: changed in the connection's binding answers, read at each setup of
  // the node queue (the lock because stop() can answer on its caller's thread).
  std::mutex channels_mutex_;
  std::set<std::string, std::less<>> channels_;

  std::mutex start_mutex_;
  std::condition_variable start_changed_;
  Start start_ = Start::waiting;
  std::string start_error_;

  std::atomic<std::uint64_t> sent_channel_{0};
  std::atomic<std::uint64_t> sent_node_{0};
  std::atomic<std::uint64_t> received_channel_{0};
  std::atomic<std::uint64_t> received_node_{0};
  std::atomic<std::uint64_t> unknown_node_{0};
  std::atomic<std::uint64_t> send_unavailable_{0};
  std::atomic<std::uint64_t> send_timeout_{0};
};

void RabbitMqTransport::start(std::string node_id, relay::TransportReceiver& receiver) {
  if (connection_) return;
  const std::string queue = node_queue_name(config_.prefix, node_id);
  if (node_id.empty() || queue.size() > kMaxShortString) {
    throw std::invalid_argument("broker rabbitmq: the node id must be 1 to " +
                                std::to_string(kMaxShortString - config_.prefix.size() - 6) +
                                " bytes (it names the queue '" + config_.prefix +
                                ".node.<id>')");
  }
  receiver_ = &receiver;
  {
    std::lock_guard lock(start_mutex_);
    start_ = Start::waiting;  // again after a start() that found the id taken
  }
  AmqpOptions options;
  options.endpoint = endpoint_;
  options.heartbeat = config_.heartbeat;
  options.timeout = config_.timeout;
  options.thread_name = "sb-amqp-relay";
  connection_ = std::make_unique<AmqpConnection>(
      std::move(options), [this](AmqpDelivery d) { on_delivery(std::move(d)); });
  AmqpConsumerSpec spec;
  spec.queue = queue;
  // Ours alone: created on every connect (auto-delete took the last one with its connection).
  spec.declare = DeclareMode::create;
  spec.durable = false;
  spec.exclusive = true;
  spec.auto_delete = true;
  spec.no_ack = true;
  spec.prefetch = 0;  // no_ack: RabbitMQ does not limit what it pushes
  spec.exchange = config_.prefix;
  spec.exchange_type = "direct";
  spec.bindings = {node_routing_key(node_id)};
  consumer_ = connection_->add(std::move(spec));
  // Not durable, not persistent: the queues are auto-delete and the delivery at most once, so
  // a disk write would keep nothing a restart could use (the history is Redis's). The node
  // queue and the publisher share one connection (channels 1 and 2): one thread and one socket
  // per node.
  connection_->set_publisher({.exchange = config_.prefix,
                              .exchange_type = "direct",
                              .durable = false,
                              .persistent = false,
                              .content_type = "application/octet-stream"});
  connection_->set_on_setup(
      [this](std::size_t consumer, const ChannelSetup& outcome) { on_setup(consumer, outcome); });
  connection_->start();

  // The first outcome decides: consuming, the server not reachable (background connect), or
  // the id taken. A server that answers neither way within `timeout` (stuck) is left to the
  // background as well. The publisher's channel opens on the same thread right after the
  // consumer's, before any publish is handled, so sends made once start() returned find it.
  std::unique_lock lock(start_mutex_);
  start_changed_.wait_for(lock, config_.timeout, [&] { return start_ != Start::waiting; });
  if (start_ != Start::taken) return;
  const std::string why = start_error_;
  lock.unlock();
  connection_->stop();
  connection_.reset();
  throw std::invalid_argument("broker rabbitmq: node id '" + node_id +
                              "' is taken by another running node (" + why + ")");
}

void RabbitMqTransport::on_setup(std::size_t consumer, const ChannelSetup& outcome) {
  {
    std::lock_guard lock(start_mutex_);
    if (start_ == Start::waiting) {
      if (outcome.error.empty()) {
        start_ = Start::consuming;
      } else if (consumer != AmqpConnection::kLogin && outcome.code == kResourceLocked) {
        start_ = Start::taken;
        start_error_ = outcome.error;
      } else {
        start_ = Start::background;
      }
      start_changed_.notify_all();
    }
  }
  if (consumer != consumer_ || !outcome.error.empty()) return;
  // The queue is (again) consuming with every channel of the set bound: what was sent while it
  // was not is gone, so the receiver recovers each channel. Copied so that the receiver is
  // called without our lock (it may subscribe or unsubscribe from here). The first setup has
  // none: subscribe() fails until the node queue consumes.
  std::vector<std::string> restored;
  {
    std::lock_guard lock(channels_mutex_);
    restored.assign(channels_.begin(), channels_.end());
  }
  for (const auto& channel : restored) receiver_->on_subscription_restored(channel);
}

void RabbitMqTransport::subscribe(std::string_view channel, Completion done) {
  if (!connection_) return complete(done, EngineErrc::unavailable);
  connection_->bind(consumer_, channel_routing_key(channel),
                    [this, channel = std::string(channel), done = std::move(done)](
                        bool ok, const std::string&) {
                      if (ok) {
                        std::lock_guard lock(channels_mutex_);
                        channels_.insert(channel);
                      }
                      complete(done, unavailable_unless(ok));
                    });
}

void RabbitMqTransport::unsubscribe(std::string_view channel, Completion done) {
  if (!connection_) return complete(done, {});
  // Out of the set whatever the answer: never bound again after a reconnect.
  connection_->unbind(consumer_, channel_routing_key(channel),
                      [this, channel = std::string(channel), done = std::move(done)](
                          bool ok, const std::string&) {
                        {
                          std::lock_guard lock(channels_mutex_);
                          channels_.erase(channel);
                        }
                        complete(done, unavailable_unless(ok));
                      });
}

void RabbitMqTransport::send_to_node(std::string_view node_id, std::string message,
                                     Completion done) {
  std::string key = node_routing_key(node_id);
  // start() refuses such ids, so no node can have one (and RabbitMQ would refuse the key).
  if (key.size() > kMaxShortString) {
    unknown_node_.fetch_add(1, std::memory_order_relaxed);
    return complete(done, EngineErrc::unknown_node);
  }
  publish(std::move(key), std::move(message), true, std::move(done));
}

void RabbitMqTransport::publish(std::string routing_key, std::string message, bool mandatory,
                                Completion done) {
  if (!connection_) {
    send_unavailable_.fetch_add(1, std::memory_order_relaxed);
    return complete(done, EngineErrc::unavailable);
  }
  std::vector<AmqpMessage> messages;
  messages.push_back({std::move(routing_key), std::move(message), mandatory});
  connection_->publish(
      std::move(messages), config_.timeout,
      [this, mandatory, done = std::move(done)](PublishResult result, const std::string&,
                                                const std::vector<bool>&) {
        switch (result) {
          case PublishResult::confirmed:
            (mandatory ? sent_node_ : sent_channel_).fetch_add(1, std::memory_order_relaxed);
            break;
          case PublishResult::returned:
            unknown_node_.fetch_add(1, std::memory_order_relaxed);
            break;
          case PublishResult::timed_out:
            send_timeout_.fetch_add(1, std::memory_order_relaxed);
            break;
          default:
            send_unavailable_.fetch_add(1, std::memory_order_relaxed);
        }
        complete(done, error_of(result));
      });
}

void RabbitMqTransport::on_delivery(AmqpDelivery delivery) {
  if (is_node_routing_key(delivery.routing_key)) {
    received_node_.fetch_add(1, std::memory_order_relaxed);
    receiver_->on_node_message(delivery.body);
  } else {
    received_channel_.fetch_add(1, std::memory_order_relaxed);
    receiver_->on_channel_message(delivery.body);
  }
}

std::vector<BackendHealth> RabbitMqTransport::health() const {
  if (!connection_) return {{name_, false, "not started"}};
  const bool up = connection_->up();
  return {{name_, up, up ? std::string() : connection_->status()}};
}

void RabbitMqTransport::write_metrics(MetricsSink& sink) const {
  using Type = MetricsSink::Type;
  auto load = [](const std::atomic<std::uint64_t>& n) {
    return n.load(std::memory_order_relaxed);
  };
  sink.family("switchboard_broker_rabbitmq_sent_total", Type::counter,
              "Messages RabbitMQ confirmed, by kind (channel: send, node: send_to_node).");
  sink.sample("switchboard_broker_rabbitmq_sent_total", load(sent_channel_),
              {{"kind", "channel"}});
  sink.sample("switchboard_broker_rabbitmq_sent_total", load(sent_node_), {{"kind", "node"}});
  sink.family("switchboard_broker_rabbitmq_send_failed_total", Type::counter,
              "Sends that failed: unavailable (not connected, nacked, channel lost) or timeout "
              "(no confirm in time; the message may still arrive).");
  sink.sample("switchboard_broker_rabbitmq_send_failed_total", load(send_unavailable_),
              {{"reason", "unavailable"}});
  sink.sample("switchboard_broker_rabbitmq_send_failed_total", load(send_timeout_),
              {{"reason", "timeout"}});
  sink.family("switchboard_broker_rabbitmq_unknown_node_total", Type::counter,
              "send_to_node messages RabbitMQ returned: no node of that id is running.");
  sink.sample("switchboard_broker_rabbitmq_unknown_node_total", load(unknown_node_), {});
  sink.family("switchboard_broker_rabbitmq_received_total", Type::counter,
              "Messages received from the node queue, by kind.");
  sink.sample("switchboard_broker_rabbitmq_received_total", load(received_channel_),
              {{"kind", "channel"}});
  sink.sample("switchboard_broker_rabbitmq_received_total", load(received_node_),
              {{"kind", "node"}});
  const std::uint64_t connects = connection_ ? connection_->connects() : 0;
  sink.family("switchboard_broker_rabbitmq_reconnects_total", Type::counter,
              "Logins to RabbitMQ after the first (each loses what was sent meanwhile).");
  sink.sample("switchboard_broker_rabbitmq_reconnects_total", connects > 0 ? connects - 1 : 0,
              {});
}

}  // namespace

std::shared_ptr<relay::BrokerTransport> make_rabbitmq_transport(
    const RabbitMqTransportConfig& config) {
  AmqpUrlResult parsed = parse_amqp_url(config.url);
  if (!parsed.ok()) throw std::invalid_argument("broker rabbitmq: " + parsed.error);
  if (auto problem = prefix_problem(config.prefix)) {
    throw std::invalid_argument("broker rabbitmq: " + *problem);
  }
  return std::make_shared<RabbitMqTransport>(config, std::move(parsed.endpoint));
}

}  // namespace switchboard::engine::rabbitmq
