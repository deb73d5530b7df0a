#pragma once
// The Redis engine's own counters as metric families (docs/engine.md, "The Redis engine on
// /metrics"): per shard and connection the client's commands, writes, refusals, error replies,
// timeouts, connects and commands in flight; the Pub/Sub messages and resubscriptions; what the
// broker and the stores dropped as undecodable; the rate limiter's syncs.
//
// Thread safety: any thread, at any time while the parts live (every counter read is a relaxed
// load: redis_counters.hpp, or the stores' atomics); never waits for the I/O thread.
#include "switchboard/engine/metrics_sink.hpp"

namespace switchboard::engine::redis {

class RedisBroker;
class RedisContext;
class RedisHistory;
class RedisOfflineStore;
class RedisPresence;
class RedisRateLimiter;

// The engine's parts whose counters are written; all of one make_redis_engine().
struct RedisEngineParts {
  const RedisContext* context = nullptr;
  const RedisBroker* broker = nullptr;
  const RedisHistory* history = nullptr;
  const RedisPresence* presence = nullptr;
  const RedisOfflineStore* offline = nullptr;
  const RedisRateLimiter* rate_limiter = nullptr;
};

void write_redis_metrics(const RedisEngineParts& parts, MetricsSink& sink);

}  // namespace switchboard::engine::redis
