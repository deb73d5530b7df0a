#pragma once
// The upstream event buffer (seed 000): custom client events without an in-process handler are
// packaged with their metadata and flushed in batches — every upstream_flush_interval, or as
// soon as upstream_batch_size events are waiting — to a sink: an in-process function, or a
// transport (upstream_sink; include/switchboard/ingress/upstream_transport.hpp): an HTTP
// webhook that receives each batch as a JSON array, or a broker (Redis, NATS). What follows
// says "webhook" for any transport, and "POST" for one attempt. The buffer is bounded: when it holds
// upstream_buffer_limit events, push() fails and the sender gets an `error` (nothing is dropped
// silently).
//
// The webhook gets one batch at a time, in order. A batch leaves the buffer only once the
// webhook accepted it (2xx) or it is dropped: until then its events count against the limit, so
// a webhook that hangs or fails turns into buffer_full for senders rather than into memory or
// into events lost later. A failed POST (non-2xx, timeout, no connection) is sent again after
// upstream_retry_initial, then after twice the previous wait each time (at most kMaxRetryDelay),
// up to upstream_max_attempts POSTs in all; then the batch is dropped: logged, and its events
// counted in failed_total(). Delivery is at least once: a batch whose answer was lost (a
// timeout) is sent again, so the webhook may see it twice. A transport that can tell which
// events of a failed attempt its server kept (RabbitMQ's per-message confirms) has those
// taken out of the batch — counted as flushed, their room freed — and the retry sends the
// rest, in order.
//
// Why one POST at a time: order. A retried batch is never overtaken by a later one, which two
// POSTs in flight could not promise. Throughput comes from the batch instead: the events that
// arrive during a POST make up the next batch, sent as soon as the POST succeeds if it is full.
//
// Stopping: the timer and any backoff end, senders are refused, and what is left (the batch in
// progress, then the buffer) is sent in order, one attempt per batch, all within
// upstream_webhook_timeout of stop(); whatever the webhook has not accepted by then is dropped
// and counted. Then the webhook's idle connections are closed, so the housekeeping loop ends.
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "switchboard/gateway.hpp"
#include "switchboard/ingress/upstream_transport.hpp"
#include "webhook_client.hpp"

namespace switchboard::node {

class Node;

// Thread safety: push() from any worker; flushing, delivery and stop() on the node's
// housekeeping thread; the totals from any thread.
class Upstream {
 public:
  static constexpr std::chrono::milliseconds kMaxRetryDelay{60000};

  explicit Upstream(Node& node);
  ~Upstream();

  void set_sink(UpstreamSink sink);  // before start
  bool enabled() const noexcept { return enabled_; }
  void start();
  void stop();  // flushes what is left (see above)

  // Queues one event; false when upstream_buffer_limit events are held (waiting or in the
  // batch being delivered), or once stopping.
  bool push(const ClientEvent& event, const SessionInfo& sender);

  // Serialises a batch as the webhook receives it: a JSON array of
  // {type, payload, user_id, session_id, channel, timestamp, node}.
  static std::string to_json(const std::vector<UpstreamEvent>& batch) {
    return ingress::to_json(batch);
  }

  // Events the sink or the webhook accepted.
  std::uint64_t flushed_total() const noexcept { return flushed_.load(); }
  // Events dropped: their batch failed upstream_max_attempts POSTs (or its attempt at stop).
  std::uint64_t failed_total() const noexcept { return failed_.load(); }
  // Webhook POSTs that failed and were retried.
  std::uint64_t retried_total() const noexcept { return retried_.load(); }
  // Failed attempts the broker could not route (RabbitMQ: no queue bound; retried as any).
  std::uint64_t unroutable_total() const noexcept {
    const ingress::UpstreamTransport* t = metrics_transport_.load(std::memory_order_acquire);
    return t ? t->unroutable_total() : 0;
  }
  // Webhook call-outs refused at once by the connection pool's queue bound.
  std::uint64_t callout_rejected_total() const noexcept {
    return callout_stats_->rejected_total.load();
  }

 private:
  void arm();
  void flush();
  void flush_to_sink();
  std::vector<UpstreamEvent> take(bool hold);
  void attempt();
  void on_attempt(bool ok, const std::string& detail, const std::vector<bool>& kept);
  // Takes the events the transport's server kept out of the batch in progress (sent).
  void leave_out(const std::vector<bool>& kept);
  void batch_settled();
  std::chrono::milliseconds retry_delay() const;
  void drop_buffered(const char* why);
  std::size_t buffered();

  Node& node_;
  UpstreamSink sink_;
  bool enabled_ = false;
  std::shared_ptr<CalloutStats> callout_stats_ = std::make_shared<CalloutStats>();
  std::unique_ptr<ingress::UpstreamTransport> transport_;  // null: none, or the sink
  // transport_ for /metrics, which may read while start() creates it (published once made).
  std::atomic<const ingress::UpstreamTransport*> metrics_transport_{nullptr};

  std::mutex mutex_;                  // guards the four below (push() runs on the workers)
  std::deque<UpstreamEvent> buffer_;  // waiting for a batch
  std::size_t held_in_batch_ = 0;     // events of the batch in progress: still count
  bool flush_posted_ = false;
  bool refusing_ = false;  // stopping: push() refuses

  // Housekeeping thread only.
  std::vector<UpstreamEvent> batch_;  // the batch in progress, as sent (and resent)
  std::size_t batch_events_ = 0;      // its events; 0: no batch in progress
  std::size_t attempts_ = 0;      // its POSTs so far
  bool posting_ = false;          // a POST of it is in flight
  bool backing_off_ = false;      // waiting to retry it
  bool flush_due_ = false;        // the interval passed while it was in progress
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;

  std::atomic<std::uint64_t> flushed_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> retried_{0};
};

}  // namespace switchboard::node
