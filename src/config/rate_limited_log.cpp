// See rate_limited_log.hpp.
#include "switchboard/config/rate_limited_log.hpp"

namespace switchboard::config {

std::uint64_t RateLimitedLog::occurred(Clock::time_point now) noexcept {
  const std::uint64_t total = total_.fetch_add(1, std::memory_order_relaxed) + 1;
  const Clock::rep t = now.time_since_epoch().count();
  Clock::rep last = last_line_.load(std::memory_order_relaxed);
  if (last != kNever && t - last < period_.count()) return 0;
  // Of several threads due at once, one reports.
  if (!last_line_.compare_exchange_strong(last, t, std::memory_order_relaxed)) return 0;
  return total - reported_.exchange(total, std::memory_order_relaxed);
}

}  // namespace switchboard::config
