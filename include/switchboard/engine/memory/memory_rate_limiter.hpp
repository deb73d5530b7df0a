#pragma once
// MemoryRateLimiter: the single-node RateLimiter: key → TokenBucket, refilled by the time
// elapsed on the injected clock. A bucket that has refilled to full is forgotten by the
// sweep (a new full bucket is the same thing), so idle keys cost no memory.
//
// Thread safety: take() may be called from any thread concurrently (16 shards by key hash,
// one mutex each, held for a few arithmetic operations).
#include <cstddef>
#include <memory>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine {

class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(NowFn now = system_now());
  ~MemoryRateLimiter() override;

  RateDecision take(std::string_view key, const RateLimit& limit, double cost = 1) override;

  // Buckets held, full ones not yet swept included (for tests and metrics).
  std::size_t bucket_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::engine
