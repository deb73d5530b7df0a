#include "redis_upstream.hpp"

namespace switchboard::ingress {

using engine::redis::RedisReply;
using engine::redis::RedisState;

RedisUpstream::RedisUpstream(boost::asio::any_io_executor executor, Options options)
    : options_(std::move(options)) {
  engine::redis::RedisOptions o;
  o.endpoint = options_.endpoint;
  o.command_timeout = options_.timeout;
  connection_ = std::make_unique<engine::redis::RedisConnection>(executor, std::move(o));
}

void RedisUpstream::command(const std::string& topic, const std::string& message,
                            engine::redis::RedisConnection::Callback done) {
  if (!options_.stream) return connection_->command({"PUBLISH", topic, message}, std::move(done));
  const std::string maxlen = std::to_string(options_.stream_maxlen);
  connection_->command({"XADD", topic, "MAXLEN", "~", maxlen, "*", "event", message},
                       std::move(done));
}

void RedisUpstream::send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds,
                         Done done) {
  if (connection_->state() != RedisState::connected) {
    const std::string why = connection_->last_error_message();
    return done(false, "Redis not connected" + (why.empty() ? std::string() : ": " + why), {});
  }
  // Every reply counts down; the first error is the attempt's.
  struct Attempt {
    std::size_t left = 0;
    std::string error;
    Done done;
  };
  auto attempt = std::make_shared<Attempt>();
  attempt->done = std::move(done);
  auto on_reply = [attempt](std::error_code ec, const RedisReply& reply) {
    if (attempt->error.empty()) {
      if (ec) attempt->error = ec.message();
      else if (reply.is_error()) attempt->error = reply.str;
    }
    if (--attempt->left == 0) attempt->done(attempt->error.empty(), attempt->error, {});
  };
  if (!options_.one_per_event) {
    attempt->left = 1;
    return command(options_.topic.fill(batch.front()), to_json(batch), on_reply);
  }
  attempt->left = batch.size();
  for (const auto& event : batch) command(options_.topic.fill(event), to_json(event), on_reply);
}

}  // namespace switchboard::ingress
