#include "upstream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "node.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "webhook_client.hpp"
#include "webhook_upstream.hpp"

namespace switchboard::node {
namespace {

// The channel an event concerns, if its payload names one ("channel" or seed 001's
// "conversation_id").
std::string event_channel(std::string_view payload) {
  if (payload.empty()) return {};
  boost::json::error_code ec;
  const boost::json::value v = protocol::parse_json(payload, ec);
  if (ec || !v.is_object()) return {};
  const auto& o = v.as_object();
  if (const auto* c = o.if_contains("channel"); c && c->is_string()) return std::string(c->as_string());
  if (const auto* c = o.if_contains("conversation_id"); c && c->is_string()) {
    return "conv:" + std::string(c->as_string());
  }
  return {};
}

}  // namespace

Upstream::Upstream(Node& node) : node_(node) {
  const auto& c = node.config();
  // The transport is made at start(): the housekeeping loop it runs on comes after us.
  enabled_ = c.upstream_to_broker() || !c.upstream_webhook_url.empty();
}

Upstream::~Upstream() = default;

void Upstream::set_sink(UpstreamSink sink) {
  sink_ = std::move(sink);
  enabled_ = enabled_ || static_cast<bool>(sink_);
}

void Upstream::start() {
  if (!enabled_) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(node_.housekeeping());
  retry_timer_ = std::make_unique<boost::asio::steady_timer>(node_.housekeeping());
  if (!sink_) {
    const auto& c = node_.config();
    transport_ = ingress::make_broker_upstream(c, node_.housekeeping().get_executor());
    if (!transport_) {
      transport_ = std::make_unique<WebhookUpstream>(
          node_.housekeeping(), Callout{c.upstream_webhook_url, c.upstream_webhook_timeout,
                                        node_.callout_limits(), callout_stats_});
    }
    transport_->start();
    metrics_transport_.store(transport_.get(), std::memory_order_release);
  }
  arm();
}

void Upstream::stop() {
  if (!enabled_ || !timer_) return;
  stopping_ = true;
  timer_->cancel();
  {
    std::lock_guard lock(mutex_);
    refusing_ = true;
  }
  if (sink_) return flush_to_sink();
  stop_deadline_ = std::chrono::steady_clock::now() + node_.config().upstream_webhook_timeout;
  if (backing_off_) {
    // The batch in progress gets its last attempt now rather than after the backoff.
    backing_off_ = false;
    retry_timer_->cancel();
    return attempt();
  }
  if (posting_) return;  // its answer carries on with the rest
  flush();
}

void Upstream::arm() {
  if (stopping_) return;  // a tick already due when stop() cancelled the timer
  timer_->expires_after(node_.config().upstream_flush_interval);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    flush();
    arm();
  });
}

bool Upstream::push(const ClientEvent& event, const SessionInfo& sender) {
  UpstreamEvent e;
  e.type = std::string(event.type);
  e.payload = event.payload.empty() ? "null" : std::string(event.payload);
  e.user_id = sender.user_id;
  e.session_id = sender.session_id;
  e.channel = event_channel(event.payload);
  e.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  e.node = node_.id();
  const auto& cfg = node_.config();
  bool post_flush = false;
  {
    std::lock_guard lock(mutex_);
    if (refusing_ || buffer_.size() + held_in_batch_ >= cfg.upstream_buffer_limit) return false;
    buffer_.push_back(std::move(e));
    if (buffer_.size() >= cfg.upstream_batch_size && !flush_posted_) {
      flush_posted_ = true;
      post_flush = true;
    }
  }
  if (post_flush) boost::asio::post(node_.housekeeping(), [this] { flush(); });
  return true;
}

// Takes up to upstream_batch_size events off the buffer; with `hold` they keep counting
// against the limit until batch_settled().
std::vector<UpstreamEvent> Upstream::take(bool hold) {
  std::vector<UpstreamEvent> batch;
  std::lock_guard lock(mutex_);
  flush_posted_ = false;
  const std::size_t n = std::min(node_.config().upstream_batch_size, buffer_.size());
  batch.assign(std::make_move_iterator(buffer_.begin()),
               std::make_move_iterator(buffer_.begin() + static_cast<std::ptrdiff_t>(n)));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
  if (hold) held_in_batch_ = n;
  return batch;
}

std::size_t Upstream::buffered() {
  std::lock_guard lock(mutex_);
  return buffer_.size();
}

void Upstream::flush_to_sink() {
  while (true) {
    std::vector<UpstreamEvent> batch = take(false);
    if (batch.empty()) return;
    const std::size_t n = batch.size();
    sink_(std::move(batch));
    flushed_ += n;
  }
}

// Starts the next batch unless one is in progress (its end calls here again).
void Upstream::flush() {
  if (sink_) return flush_to_sink();
  if (batch_events_ > 0) {
    flush_due_ = true;
    return;
  }
  flush_due_ = false;
  if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) {
    drop_buffered("no time left before shutdown");
  }
  std::vector<UpstreamEvent> batch = take(true);
  if (batch.empty()) {
    // Stopped and nothing left: let the housekeeping loop end.
    if (stopping_) transport_->stop();
    return;
  }
  batch_events_ = batch.size();
  batch_ = std::move(batch);
  attempts_ = 0;
  attempt();
}

void Upstream::attempt() {
  ++attempts_;
  posting_ = true;
  auto on_answer = [this](bool ok, std::string detail, std::vector<bool> kept) {
    on_attempt(ok, detail, kept);
  };
  const auto timeout = node_.config().upstream_webhook_timeout;
  if (!stopping_) return transport_->send(batch_, timeout, on_answer);
  // While stopping, every attempt shares what is left of the one webhook timeout.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(stop_deadline_ -
                                                                 std::chrono::steady_clock::now());
  transport_->send(batch_, std::clamp(left, std::chrono::milliseconds(1), timeout), on_answer);
}

void Upstream::on_attempt(bool ok, const std::string& detail, const std::vector<bool>& kept) {
  posting_ = false;
  if (ok) {
    flushed_ += batch_events_;
    return batch_settled();
  }
  leave_out(kept);
  if (batch_events_ == 0) return batch_settled();
  const std::size_t max_attempts = node_.config().upstream_max_attempts;
  if (!stopping_ && attempts_ < max_attempts) {
    ++retried_;
    const auto delay = retry_delay();
    spdlog::warn("upstream {}: a batch of {} events failed ({}); attempt {} of {} in {} ms",
                 transport_->name(), batch_events_, detail, attempts_ + 1, max_attempts,
                 delay.count());
    backing_off_ = true;
    retry_timer_->expires_after(delay);
    retry_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || !backing_off_) return;  // stop() made the attempt already
      backing_off_ = false;
      attempt();
    });
    return;
  }
  failed_ += batch_events_;
  spdlog::error("upstream {}: {} events dropped after {} attempt(s): {}", transport_->name(),
                batch_events_, attempts_, detail);
  batch_settled();
}

void Upstream::leave_out(const std::vector<bool>& kept) {
  if (kept.size() != batch_.size()) return;  // none known kept (or not one flag per event)
  std::size_t left = 0;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (kept[i]) continue;
    if (left != i) batch_[left] = std::move(batch_[i]);  // never onto itself: that empties it
    ++left;
  }
  const std::size_t sent = batch_.size() - left;
  if (sent == 0) return;
  batch_.resize(left);
  batch_events_ = left;
  flushed_ += sent;
  std::lock_guard lock(mutex_);
  held_in_batch_ = left;  // the space of the events sent is free for senders
}

void Upstream::batch_settled() {
  {
    std::lock_guard lock(mutex_);
    held_in_batch_ = 0;
  }
  batch_events_ = 0;
  batch_.clear();
  // A full batch goes at once; a partial one at the next interval (or now if one passed).
  if (stopping_ || flush_due_ || buffered() >= node_.config().upstream_batch_size) flush();
}

// upstream_retry_initial doubled for each failed attempt after the first, capped.
std::chrono::milliseconds Upstream::retry_delay() const {
  std::chrono::milliseconds delay = node_.config().upstream_retry_initial;
  for (std::size_t i = 1; i < attempts_ && delay < kMaxRetryDelay; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelay);
}

void Upstream::drop_buffered(const char* why) {
  std::size_t n = 0;
  {
    std::lock_guard lock(mutex_);
    n = buffer_.size();
    buffer_.clear();
  }
  if (n == 0) return;
  failed_ += n;
  spdlog::error("upstream {}: {} events dropped: {}", transport_ ? transport_->name() : "sink", n,
                why);
}

}  // namespace switchboard::node
