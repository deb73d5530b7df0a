// make_redis_engine: the Redis stores on one shared context. See redis_engine.hpp.
#include "switchboard/engine/redis/redis_engine.hpp"

#include <memory>
#include <stdexcept>

#include "redis_broker.hpp"
#include "redis_context.hpp"
#include "redis_history.hpp"
#include "redis_metrics.hpp"
#include "redis_node_registry.hpp"
#include "redis_offline_store.hpp"
#include "redis_presence.hpp"
#include "redis_publish_keys.hpp"
#include "redis_rate_limiter.hpp"
#include "redis_snapshot_store.hpp"
#include "redis_url.hpp"

namespace switchboard::engine {
namespace {

// The engine's life and health are its context's; its metrics are its context's and stores'.
// The stores are the Engine's, which declares `backend` after them: the backend goes first.
class RedisBackend final : public EngineBackend {
 public:
  RedisBackend(std::shared_ptr<redis::RedisContext> context, redis::RedisEngineParts parts,
               std::unique_ptr<redis::RedisBroker> unused_broker)
      : context_(std::move(context)), parts_(parts), unused_broker_(std::move(unused_broker)) {}
  void start() override { context_->start(); }
  void stop() override { context_->stop(); }
  // A shard is up when its command connection is ready and its Pub/Sub connection logged in:
  // without the latter the node can neither deliver its channels nor subscribe new ones.
  std::vector<BackendHealth> health() const override {
    std::vector<BackendHealth> out = context_->health();
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!out[i].up || !parts_.broker->subscriber_down(i)) continue;
      out[i].up = false;
      out[i].detail = "Pub/Sub connection not connected";
    }
    return out;
  }
  void write_metrics(MetricsSink& sink) const override { write_redis_metrics(parts_, sink); }

 private:
  std::shared_ptr<redis::RedisContext> context_;
  redis::RedisEngineParts parts_;
  // pubsub_broker = false: the Pub/Sub broker, never started, kept for parts_.broker.
  std::unique_ptr<redis::RedisBroker> unused_broker_;
};

}  // namespace

Engine make_redis_engine(const RedisEngineConfig& config, NowFn now) {
  auto shards = redis::resolve_redis_shards(config.url, config.host, config.password,
                                            config.database);
  if (!shards.ok()) throw std::invalid_argument(shards.error);
  redis::RedisEngineOptions options;
  options.shards = std::move(shards.shards);
  options.prefix = config.prefix;
  options.command_timeout = config.command_timeout;
  options.max_in_flight = config.max_in_flight;
  auto context = redis::RedisContext::make(std::move(options), now);
  auto broker = std::make_unique<redis::RedisBroker>(context);
  auto history = std::make_unique<redis::RedisHistory>(context, config.empty_stream_ttl);
  auto presence = std::make_unique<redis::RedisPresence>(context);
  auto rate_limiter = std::make_unique<redis::RedisRateLimiter>(context);
  auto offline = std::make_unique<redis::RedisOfflineStore>(context);
  const redis::RedisEngineParts parts{context.get(), broker.get(),  history.get(),
                                      presence.get(), offline.get(), rate_limiter.get()};
  Engine engine;
  engine.publish_keys = std::make_shared<redis::RedisPublishKeys>(context, history->streams());
  if (config.pubsub_broker) engine.broker = std::move(broker);
  engine.history = std::move(history);
  engine.presence = std::move(presence);
  engine.registry = std::make_unique<redis::RedisNodeRegistry>(context);
  engine.rate_limiter = std::move(rate_limiter);
  engine.offline = std::move(offline);
  engine.snapshots = std::make_unique<redis::RedisSnapshotStore>(context);
  engine.now = std::move(now);
  engine.backend = std::make_shared<RedisBackend>(std::move(context), parts, std::move(broker));
  return engine;
}

}  // namespace switchboard::engine
