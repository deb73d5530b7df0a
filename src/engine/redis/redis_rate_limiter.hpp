#pragma once
// RedisRateLimiter: token buckets shared by every node through Redis, answered locally.
//
// RateLimiter::take() is synchronous and runs on workers, which must never wait for Redis. So
// each node keeps a local TokenBucket per key (the arithmetic of MemoryRateLimiter) that
// answers at once, and every take it allows is also charged to the key's shared bucket in
// Redis, asynchronously (script `rate_take`, store_scripts.hpp: TokenBucket::charge's
// arithmetic on the same doubles; key rl:<key> on shard(key), HASH t tokens, l last refill
// ms). Redis's reply — the shared bucket's tokens at its time — replaces the local bucket,
// and the takes this node sent since, not answered yet, are charged to it again (Redis
// charges them next, in that order: bucket_sync.hpp). Each node's view is thus the shared
// bucket as of its last reply, plus its own takes since, plus the refill since.
//
// The approximation. A node learns what the others took only from the replies to its own
// takes; in between its bucket refills as if it were alone, so it may admit tokens another
// node already took: at most what its stale view holds — up to one burst for a node new to a
// key (or whose bucket was forgotten as full), and with steady traffic about what the others
// took since its previous reply, i.e. within its own round trip and take interval. The
// shared bucket charges every admitted take, even one it cannot cover (stats().over_admitted
// counts those): the debt is paid by later refills before anybody is admitted again, each
// node learning it with its next reply. So over any period all nodes together admit at most
// burst + rate × period, plus the over-admissions not yet paid back at its end. (Without the
// debt, N nodes taking in turn would each get the full rate.) With one node the local bucket
// and Redis agree exactly — same operations in the same order, no debt ever — so the
// RateLimiter contract holds unchanged.
//
// Time: local buckets run on the context's logical milliseconds (RedisContext::now_ms()), the
// clock the script sees, so local and shared arithmetic match to the bit; nodes disagree by
// their clock skew (the shared bucket never refills backwards: a time behind its last refill
// adds nothing).
//
// Redis down (shard not ready), stopped, or max_pending_syncs reached: the local bucket alone
// decides, nothing is sent (stats().local_only). Keys: the local map forgets a bucket that is
// full and has no sync in flight (swept as MemoryRateLimiter does); the Redis key's TTL is
// the time until its bucket is full again, capped by max_key_ttl (rate 0 buckets never
// refill: their key, and with it the limit, is forgotten max_key_ttl after the last take),
// plus gc_slack.
//
// Thread safety: take() may be called from any thread concurrently (16 shards by key hash,
// one mutex each, held for a few arithmetic operations and, when a take is allowed, one
// append to the outgoing queue). Replies are applied on the context's I/O thread. The limiter
// may be destroyed with syncs pending.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "redis_context.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine::redis {

struct RedisRateLimiterOptions {
  // Longest Redis TTL of a bucket's key (beyond gc_slack), see above.
  std::chrono::milliseconds max_key_ttl{std::chrono::hours(24)};
  // Syncs queued or awaiting Redis's reply; allowed takes beyond it are not synced.
  std::size_t max_pending_syncs = 10000;
};

struct RedisRateLimiterStats {
  std::uint64_t synced = 0;         // replies applied to a local bucket
  std::uint64_t local_only = 0;     // allowed takes not sent (Redis not ready, queue full)
  std::uint64_t sync_failures = 0;  // sent, but no usable reply (timeout, lost, refused)
  std::uint64_t over_admitted = 0;  // allowed on a stale view: charged to the shared bucket
                                    // as a debt
};

class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(std::shared_ptr<RedisContext> context,
                            RedisRateLimiterOptions options = {});
  ~RedisRateLimiter() override;

  RateDecision take(std::string_view key, const RateLimit& limit, double cost = 1) override;

  // Allowed takes queued for or awaiting Redis (tests wait for 0 to see the synced state).
  std::size_t pending_syncs() const noexcept;
  // Local buckets held, full ones not yet swept included.
  std::size_t bucket_count() const;
  RedisRateLimiterStats stats() const noexcept;

 private:
  struct State;
  std::shared_ptr<RedisContext> context_;
  std::shared_ptr<State> state_;
};

}  // namespace switchboard::engine::redis
