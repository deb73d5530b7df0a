#pragma once
// RedisUpstream: client events to Redis — PUBLISH to the topic (upstream_redis_mode =
// "publish": consumers connected at that moment get them; nobody keeps them) or XADD to a
// stream capped near upstream_stream_maxlen ("stream": kept for consumers that read later, the
// field "event" holding the JSON). One message per event, or the batch's JSON array as one
// (upstream_message = "batch"). The commands of a batch are pipelined on one connection; the
// attempt succeeds once Redis answered every one without an error.
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "redis_connection.hpp"
#include "switchboard/ingress/upstream_transport.hpp"
#include "upstream_topic.hpp"

namespace switchboard::ingress {

class RedisUpstream final : public UpstreamTransport {
 public:
  struct Options {
    engine::redis::RedisEndpoint endpoint;
    std::chrono::milliseconds timeout{5000};  // each command's (upstream_webhook_timeout)
    UpstreamTopic topic;
    bool one_per_event = true;
    bool stream = false;
    std::size_t stream_maxlen = 100000;
  };
  RedisUpstream(boost::asio::any_io_executor executor, Options options);

  std::string_view name() const noexcept override { return "redis"; }
  void start() override { connection_->start(); }
  void send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
            Done done) override;
  void stop() override { connection_.reset(); }

 private:
  void command(const std::string& topic, const std::string& message,
               engine::redis::RedisConnection::Callback done);

  Options options_;
  std::unique_ptr<engine::redis::RedisConnection> connection_;
};

}  // namespace switchboard::ingress
