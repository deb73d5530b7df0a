// MemoryRateLimiter: key → TokenBucket, sharded by key hash.
#include "switchboard/engine/memory/memory_rate_limiter.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "string_map.hpp"
#include "sweeper.hpp"

namespace switchboard::engine {
namespace {

struct KeyBucket {
  TokenBucket bucket;
  RateLimit limit;  // the last limit applied: what "full" means when sweeping
};

}  // namespace

struct MemoryRateLimiter::Impl {
  struct Shard {
    mutable std::mutex mu;
    memory_detail::StringMap<KeyBucket> buckets;
    memory_detail::Sweeper sweeper;
  };
  NowFn now;
  memory_detail::Sharded<Shard> shards;
};

MemoryRateLimiter::MemoryRateLimiter(NowFn now) : impl_(std::make_unique<Impl>()) {
  impl_->now = std::move(now);
}

MemoryRateLimiter::~MemoryRateLimiter() = default;

RateDecision MemoryRateLimiter::take(std::string_view key, const RateLimit& limit, double cost) {
  const TimePoint at = impl_->now();
  Impl::Shard& shard = impl_->shards.for_key(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    it = shard.buckets.emplace(std::string(key), KeyBucket{TokenBucket(limit.burst, at), limit})
             .first;
  }
  it->second.limit = limit;
  const RateDecision decision = it->second.bucket.take(limit, at, cost);
  if (shard.sweeper.tick()) {
    shard.sweeper.sweep(shard.buckets,
                        [at](const KeyBucket& b) { return b.bucket.full(b.limit, at); });
  }
  return decision;
}

std::size_t MemoryRateLimiter::bucket_count() const {
  return impl_->shards.total([](const Impl::Shard& s) { return s.buckets.size(); });
}

}  // namespace switchboard::engine
