#pragma once
// UpstreamTransport: where the upstream event buffer (src/node/state/upstream.hpp) sends a batch of
// client events — the HTTP webhook, or a broker the backend consumes (seed 000 flushes its
// client events to its broker). The buffer keeps its rules whatever the transport: bounded
// including the batch in flight, one attempt at a time, in order, retried with backoff up to
// upstream_max_attempts, so delivery is at least once (a retried batch may arrive twice, but
// for the events a transport can tell the server kept).
//
// Thread safety: one thread, the executor given at construction (the node's housekeeping
// thread): send(), stop() and every `done` run there.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/config.hpp"
#include "switchboard/gateway.hpp"

namespace switchboard::ingress {

// One event as every transport carries it: {type, payload, user_id, session_id, channel,
// timestamp, node}; a batch is a JSON array of those.
std::string to_json(const UpstreamEvent& event);
std::string to_json(const std::vector<UpstreamEvent>& batch);

class UpstreamTransport {
 public:
  // ok: the whole batch is with the transport's server; else `detail` says why not, and
  // `kept` — empty, or one flag per event of the batch — which of its events the server has
  // all the same (RabbitMQ's confirms tell, per message): the retry leaves those out.
  using Done = std::function<void(bool ok, std::string detail, std::vector<bool> kept)>;
  virtual ~UpstreamTransport() = default;
  virtual std::string_view name() const noexcept = 0;  // "webhook", "rabbitmq", "redis", "nats"
  virtual void start() {}
  // One attempt at `batch`, answered within `timeout` (the transport's own deadline).
  virtual void send(const std::vector<UpstreamEvent>& batch, std::chrono::milliseconds timeout,
                    Done done) = 0;
  // After the last answer: close connections, so that the housekeeping loop can end.
  virtual void stop() = 0;
  // Attempts that failed because the broker had nowhere to route a message (RabbitMQ's
  // basic.return of a mandatory message: no queue bound for its routing key); any thread.
  virtual std::uint64_t unroutable_total() const noexcept { return 0; }
};

// The broker transport the configuration asks for (upstream_sink = rabbitmq | redis | nats; auto picks
// none), or null. Throws std::invalid_argument for what the configuration check refuses.
std::unique_ptr<UpstreamTransport> make_broker_upstream(const config::Config& config,
                                                        const boost::asio::any_io_executor& executor);

}  // namespace switchboard::ingress
