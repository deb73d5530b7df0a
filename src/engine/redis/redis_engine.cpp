// make_redis_engine: the Redis stores on one shared context. See redis_engine.hpp.
#include "switchboard/engine/redis/redis_engine.hpp"

#include <stdexcept>

#include "redis_broker.hpp"
#include "redis_context.hpp"
#include "redis_history.hpp"
#include "redis_node_registry.hpp"
#include "redis_offline_store.hpp"
#include "redis_presence.hpp"
#include "redis_rate_limiter.hpp"
#include "redis_snapshot_store.hpp"
#include "redis_url.hpp"

namespace switchboard::engine {
namespace {

// The engine's life and health are its context's.
class RedisBackend final : public EngineBackend {
 public:
  explicit RedisBackend(std::shared_ptr<redis::RedisContext> context)
      : context_(std::move(context)) {}
  void start() override { context_->start(); }
  void stop() override { context_->stop(); }
  std::vector<BackendHealth> health() const override { return context_->health(); }

 private:
  std::shared_ptr<redis::RedisContext> context_;
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
  auto context = redis::RedisContext::make(std::move(options), now);
  Engine engine;
  engine.broker = std::make_unique<redis::RedisBroker>(context);
  engine.history = std::make_unique<redis::RedisHistory>(context, config.empty_stream_ttl);
  engine.presence = std::make_unique<redis::RedisPresence>(context);
  engine.registry = std::make_unique<redis::RedisNodeRegistry>(context);
  engine.rate_limiter = std::make_unique<redis::RedisRateLimiter>(context);
  engine.offline = std::make_unique<redis::RedisOfflineStore>(context);
  engine.snapshots = std::make_unique<redis::RedisSnapshotStore>(context);
  engine.now = std::move(now);
  engine.backend = std::make_shared<RedisBackend>(std::move(context));
  return engine;
}

}  // namespace switchboard::engine
