#pragma once
// RedisIngressSource: one Redis server's Pub/Sub channels and patterns, for every rule that
// consumes that server, over the engine's RedisSubscriber (reconnect with backoff, AUTH and
// SELECT, resubscription after each reconnect).
//
// What it adds to the subscriber: a subscribe made while not connected fails at once and is
// forgotten, so every second (and on each login) whatever is wanted and not confirmed is
// subscribed again; health() is up only once every channel and pattern is confirmed.
// Guarantee: at most once, as Redis Pub/Sub itself — what is published while the link is down
// is lost (docs/ingress.md).
//
// Thread safety: constructed, started, stopped and fed on the ingress thread (its executor);
// health(), name(), up() and connects() from any thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "handoff.hpp"
#include "ingress_source.hpp"
#include "redis_endpoint.hpp"
#include "redis_subscriber.hpp"
#include "switchboard/engine/engine.hpp"

namespace switchboard::ingress {

class RedisIngressSource final : public IngressSource {
 public:
  RedisIngressSource(boost::asio::any_io_executor executor, engine::redis::RedisEndpoint endpoint,
                     std::chrono::milliseconds command_timeout, Handoff& handoff);
  ~RedisIngressSource() override;

  // Before start(): rule `rule` consumes these channels and patterns.
  void add(std::size_t rule, const std::vector<std::string>& channels,
           const std::vector<std::string>& patterns);
  void start() override;
  void stop() override;

  const std::string& name() const noexcept override { return name_; }
  engine::BackendHealth health() const override;
  bool up() const noexcept override { return up_.load(std::memory_order_relaxed); }
  std::uint64_t connects() const noexcept override {
    return counters_->connection.connects.value();
  }

 private:
  void subscribe_missing();
  void refresh_health();
  void arm_retry();

  boost::asio::any_io_executor executor_;
  Handoff& handoff_;
  std::string name_;
  std::shared_ptr<engine::redis::SubscriberCounters> counters_ =
      std::make_shared<engine::redis::SubscriberCounters>();
  std::unique_ptr<engine::redis::RedisSubscriber> subscriber_;
  boost::asio::steady_timer retry_;
  std::map<std::string, std::vector<std::size_t>, std::less<>> channels_;  // name → rules
  std::map<std::string, std::vector<std::size_t>, std::less<>> patterns_;
  bool stopped_ = false;
  std::atomic<bool> up_{false};
  mutable std::mutex detail_mutex_;
  std::string detail_;  // why not up
};

}  // namespace switchboard::ingress
