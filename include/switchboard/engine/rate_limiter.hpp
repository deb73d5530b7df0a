#pragma once
// RateLimiter: token buckets shared by every connection of a key (a user, an IP) — across
// workers, and across nodes for distributed implementations. Per-connection buckets live in
// the session (no sharing, no lock).
//
// Contract (tests/contract/rate_limiter_contract.hpp):
// - a bucket starts full (`burst` tokens) and refills at `rate_per_second`, never above burst;
// - take() succeeds and removes `cost` tokens when enough are there, else fails and removes
//   nothing, reporting how long until `cost` tokens are available (rounded up to the next
//   millisecond, so taking again after retry_after succeeds if nobody else took meanwhile);
//   kNever when that cannot happen (cost above burst, or no refill);
// - keys are independent; concurrent take()s on one key never hand out more than the bucket
//   holds.
#include <chrono>
#include <string_view>

namespace switchboard::engine {

struct RateLimit {
  double rate_per_second = 10;
  double burst = 20;
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};
};

// retry_after when waiting cannot help.
inline constexpr std::chrono::milliseconds kNever = std::chrono::milliseconds::max();

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Synchronous: the memory implementation answers at once; a distributed implementation
  // answers from a local approximation it synchronises in the background.
  // Thread safety: may be called from any thread concurrently.
  virtual RateDecision take(std::string_view key, const RateLimit& limit, double cost = 1) = 0;
};

// The same bucket arithmetic, for per-connection use (no key, no lock). Thread safety: none;
// one owner. `limit` may change between calls: the bucket is clamped to the new burst.
class TokenBucket {
 public:
  // Starts full at its first take().
  TokenBucket() = default;
  // Holds `tokens` at `at`: a full bucket (tokens = burst), or a state learnt elsewhere (the
  // Redis limiter sets its local bucket to the shared bucket's state this way).
  TokenBucket(double tokens, std::chrono::steady_clock::time_point at)
      : tokens_(tokens), last_(at) {}
  RateDecision take(const RateLimit& limit, std::chrono::steady_clock::time_point now,
                    double cost = 1) noexcept;
  // take(), except that a take the bucket cannot cover removes its cost all the same, leaving
  // a debt that later refills pay first: for a take already admitted elsewhere (the Redis
  // limiter's shared bucket, charged for what a node admitted on a stale view).
  void charge(const RateLimit& limit, std::chrono::steady_clock::time_point now,
              double cost) noexcept;
  // True when the bucket would hold `limit.burst` tokens at `now`: forgetting it then and
  // starting a new full one changes nothing (how the shared limiter drops idle keys).
  bool full(const RateLimit& limit, std::chrono::steady_clock::time_point now) const noexcept;

 private:
  // A bucket never taken from has no time yet (kFresh): it is full. (A flag for it would
  // cost 8 bytes in every connection's buckets.)
  static constexpr std::chrono::steady_clock::time_point kFresh =
      std::chrono::steady_clock::time_point::min();
  bool fresh() const noexcept { return last_ == kFresh; }

  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_ = kFresh;
};

}  // namespace switchboard::engine
