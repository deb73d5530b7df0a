#pragma once
// NatsUpstream: client events to NATS subjects (upstream_topic), one message per event or the
// batch's JSON array as one. An attempt publishes and then flushes (a PING the server answers
// once it has everything before it), on a thread of its own since the flush blocks; the
// answer is posted to the housekeeping thread. While the client is not connected an attempt
// fails at once rather than filling the library's reconnect buffer, which would send it again
// on reconnect behind our retry. Core NATS keeps nothing: subscribers connected at that
// moment get it.
#include <boost/asio/any_io_executor.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "switchboard/ingress/upstream_transport.hpp"
#include "upstream_topic.hpp"

namespace switchboard::engine::nats {
class NatsConnection;  // src/engine/nats/nats_connection.hpp
}

namespace switchboard::ingress {

class NatsUpstream final : public UpstreamTransport {
 public:
  NatsUpstream(boost::asio::any_io_executor executor, std::string urls, UpstreamTopic topic,
               bool one_per_event);
  ~NatsUpstream() override;

  std::string_view name() const noexcept override { return "nats"; }
  void start() override;
  void send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
            Done done) override;
  void stop() override;

 private:
  void run();  // the publishing thread
  void attempt(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
               Done done);

  boost::asio::any_io_executor executor_;
  std::unique_ptr<engine::nats::NatsConnection> connection_;
  UpstreamTopic topic_;
  bool one_per_event_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchboard::ingress
