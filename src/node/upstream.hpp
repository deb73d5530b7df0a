#pragma once
// The upstream event buffer (seed 000): custom client events without an in-process handler are
// packaged with their metadata and flushed in batches — every upstream_flush_interval, or as
// soon as upstream_batch_size events are waiting — to a sink: an in-process function, or an
// HTTP webhook that receives each batch as a JSON array. The buffer is bounded: when full,
// push() fails and the sender gets an `error` (nothing is dropped silently).
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "switchboard/gateway.hpp"

namespace switchboard::node {

class Node;

// Thread safety: push() from any worker; flushing runs on the node's housekeeping thread.
class Upstream {
 public:
  explicit Upstream(Node& node);
  ~Upstream();

  void set_sink(UpstreamSink sink);  // before start
  bool enabled() const noexcept { return enabled_; }
  void start();
  void stop();  // flushes what is left

  // Queues one event; false when the buffer holds upstream_buffer_limit events.
  bool push(const ClientEvent& event, const SessionInfo& sender);

  // Serialises a batch as the webhook receives it: a JSON array of
  // {type, payload, user_id, session_id, channel, timestamp, node}.
  static std::string to_json(const std::vector<UpstreamEvent>& batch);

  std::uint64_t flushed_total() const noexcept { return flushed_.load(); }
  std::uint64_t failed_total() const noexcept { return failed_.load(); }

 private:
  void arm();
  void flush();
  void deliver(std::vector<UpstreamEvent> batch);

  Node& node_;
  UpstreamSink sink_;
  bool enabled_ = false;
  std::mutex mutex_;
  std::vector<UpstreamEvent> buffer_;
  bool flush_posted_ = false;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::atomic<std::uint64_t> flushed_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace switchboard::node
