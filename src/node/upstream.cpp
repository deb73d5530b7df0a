#include "upstream.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "node.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_writer.hpp"
#include "webhook_client.hpp"

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
  enabled_ = !node.config().upstream_webhook_url.empty();
}

Upstream::~Upstream() = default;

void Upstream::set_sink(UpstreamSink sink) {
  sink_ = std::move(sink);
  enabled_ = static_cast<bool>(sink_) || !node_.config().upstream_webhook_url.empty();
}

void Upstream::start() {
  if (!enabled_) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(node_.housekeeping());
  arm();
}

void Upstream::stop() {
  if (!enabled_) return;
  if (timer_) timer_->cancel();
  flush();
}

void Upstream::arm() {
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
    if (buffer_.size() >= cfg.upstream_buffer_limit) return false;
    buffer_.push_back(std::move(e));
    if (buffer_.size() >= cfg.upstream_batch_size && !flush_posted_) {
      flush_posted_ = true;
      post_flush = true;
    }
  }
  if (post_flush) boost::asio::post(node_.housekeeping(), [this] { flush(); });
  return true;
}

void Upstream::flush() {
  const std::size_t batch_size = node_.config().upstream_batch_size;
  while (true) {
    std::vector<UpstreamEvent> batch;
    {
      std::lock_guard lock(mutex_);
      flush_posted_ = false;
      if (buffer_.empty()) return;
      const std::size_t n = std::min(batch_size, buffer_.size());
      batch.assign(std::make_move_iterator(buffer_.begin()),
                   std::make_move_iterator(buffer_.begin() + static_cast<std::ptrdiff_t>(n)));
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    deliver(std::move(batch));
  }
}

void Upstream::deliver(std::vector<UpstreamEvent> batch) {
  const std::size_t n = batch.size();
  if (sink_) {
    sink_(std::move(batch));
    flushed_ += n;
    return;
  }
  post_webhook(node_.housekeeping(), node_.config().upstream_webhook_url, to_json(batch),
               node_.config().upstream_webhook_timeout, [this, n](bool ok, std::string error) {
                 if (ok) {
                   flushed_ += n;
                 } else {
                   failed_ += n;
                   spdlog::warn("upstream webhook: {} events not delivered: {}", n, error);
                 }
               });
}

std::string Upstream::to_json(const std::vector<UpstreamEvent>& batch) {
  std::string out = "[";
  for (const auto& e : batch) {
    if (out.size() > 1) out.push_back(',');
    protocol::JsonObject o(out);
    o.string("type", e.type).raw("payload", e.payload).string("user_id", e.user_id);
    o.string("session_id", e.session_id).string("channel", e.channel);
    o.number("timestamp", static_cast<std::uint64_t>(e.timestamp_ms)).string("node", e.node);
    o.close();
  }
  out.push_back(']');
  return out;
}

}  // namespace switchboard::node
