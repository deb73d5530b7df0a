#include "redis_source.hpp"

namespace switchboard::ingress {

using engine::redis::RedisState;

namespace {
constexpr std::chrono::seconds kRetryInterval{1};
}

RedisIngressSource::RedisIngressSource(boost::asio::any_io_executor executor,
                                       engine::redis::RedisEndpoint endpoint,
                                       std::chrono::milliseconds command_timeout,
                                       Handoff& handoff)
    : executor_(executor),
      handoff_(handoff),
      name_("ingress redis " + endpoint.address()),
      retry_(executor) {
  engine::redis::RedisOptions options;
  options.endpoint = std::move(endpoint);
  options.command_timeout = command_timeout;
  subscriber_ =
      std::make_unique<engine::redis::RedisSubscriber>(executor, std::move(options), counters_);
  detail_ = "connecting";
}

RedisIngressSource::~RedisIngressSource() { stop(); }

void RedisIngressSource::add(std::size_t rule, const std::vector<std::string>& channels,
                             const std::vector<std::string>& patterns) {
  for (const auto& c : channels) channels_[c].push_back(rule);
  for (const auto& p : patterns) patterns_[p].push_back(rule);
}

void RedisIngressSource::start() {
  subscriber_->on_message([this](std::string_view channel, std::string_view payload) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    for (std::size_t rule : it->second) handoff_.take(rule, IngressMessage{channel, {}, payload});
  });
  subscriber_->on_pmessage(
      [this](std::string_view pattern, std::string_view channel, std::string_view payload) {
        auto it = patterns_.find(pattern);
        if (it == patterns_.end()) return;
        for (std::size_t rule : it->second) {
          handoff_.take(rule, IngressMessage{channel, pattern, payload});
        }
      });
  subscriber_->on_resubscribed([this](std::string_view, bool) { refresh_health(); });
  subscriber_->on_state_change([this](RedisState state) {
    if (state == RedisState::connected) subscribe_missing();
    refresh_health();
  });
  subscriber_->start();
  arm_retry();
}

void RedisIngressSource::stop() {
  if (stopped_) return;
  stopped_ = true;
  retry_.cancel();
  subscriber_.reset();
  up_ = false;
}

void RedisIngressSource::arm_retry() {
  retry_.expires_after(kRetryInterval);
  retry_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    subscribe_missing();
    refresh_health();
    arm_retry();
  });
}

void RedisIngressSource::subscribe_missing() {
  if (stopped_ || subscriber_->connection().state() != RedisState::connected) return;
  auto done = [this](std::error_code) {
    if (!stopped_) refresh_health();
  };
  for (const auto& [channel, rules] : channels_) {
    if (!subscriber_->subscribed(channel)) subscriber_->subscribe(channel, done);
  }
  for (const auto& [pattern, rules] : patterns_) {
    if (!subscriber_->subscribed(pattern, true)) subscriber_->psubscribe(pattern, done);
  }
}

void RedisIngressSource::refresh_health() {
  std::string detail;
  const auto& conn = subscriber_->connection();
  if (conn.state() != RedisState::connected) {
    detail = conn.last_error_message().empty() ? std::string("connecting")
                                               : conn.last_error_message();
  } else {
    std::size_t missing = 0;
    for (const auto& [channel, rules] : channels_) missing += !subscriber_->subscribed(channel);
    for (const auto& [pattern, rules] : patterns_) {
      missing += !subscriber_->subscribed(pattern, true);
    }
    if (missing > 0) detail = std::to_string(missing) + " subscription(s) not confirmed yet";
  }
  up_ = detail.empty();
  std::lock_guard lock(detail_mutex_);
  detail_ = std::move(detail);
}

engine::BackendHealth RedisIngressSource::health() const {
  std::lock_guard lock(detail_mutex_);
  return engine::BackendHealth{name_, up(), up() ? std::string() : detail_};
}

}  // namespace switchboard::ingress
