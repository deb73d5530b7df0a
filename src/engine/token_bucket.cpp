// The token-bucket arithmetic shared by per-connection buckets and every RateLimiter.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine {
namespace {

// Refill arithmetic is in doubles: a bucket that should hold exactly `cost` tokens may hold
// cost - 1e-15. Without the slack, a caller told to retry after N ms could be refused again.
constexpr double kSlack = 1e-9;

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  if (to <= from) return 0;  // a clock that did not move (or a caller's stale `now`)
  return std::chrono::duration<double>(to - from).count();
}

std::chrono::milliseconds wait_for(double missing, double rate_per_second) {
  const double ms = std::ceil(missing / rate_per_second * 1000.0 - kSlack);
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::max(ms, 1.0)));
}

}  // namespace

RateDecision TokenBucket::take(const RateLimit& limit, std::chrono::steady_clock::time_point now,
                               double cost) noexcept {
  if (fresh()) {
    tokens_ = limit.burst;
    last_ = now;
  }
  const double refill = seconds_between(last_, now) * std::max(limit.rate_per_second, 0.0);
  tokens_ = std::min(limit.burst, tokens_ + refill);
  last_ = std::max(last_, now);

  if (tokens_ + kSlack >= cost) {
    tokens_ = std::max(tokens_ - cost, 0.0);
    return {};
  }
  if (cost > limit.burst || limit.rate_per_second <= 0) return {false, kNever};
  return {false, wait_for(cost - tokens_, limit.rate_per_second)};
}

void TokenBucket::charge(const RateLimit& limit, std::chrono::steady_clock::time_point now,
                         double cost) noexcept {
  if (!take(limit, now, cost).allowed) tokens_ -= cost;  // take() refilled and kept the rest
}

bool TokenBucket::full(const RateLimit& limit,
                       std::chrono::steady_clock::time_point now) const noexcept {
  if (fresh()) return true;
  const double refill = seconds_between(last_, now) * std::max(limit.rate_per_second, 0.0);
  return tokens_ + refill + kSlack >= limit.burst;
}

}  // namespace switchboard::engine
