#pragma once
// A failure that repeats — every session's call while a backend is down, every malformed
// message of a misbehaving publisher — is logged once per period with the count since the
// last line, instead of once per occurrence; the metric beside it counts every one.
//
//   static RateLimitedLog log;  // or one per operation, rule, reason…
//   if (const auto n = log.occurred()) spdlog::warn("… ({} failure(s) since the last report)", n);
//
// Thread safety: occurred() from any thread, lock-free.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace switchboard::config {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimitedLog(Clock::duration period = std::chrono::seconds(1)) : period_(period) {}

  // Counts one occurrence at `now`. Returns how many occurred since the last line (this one
  // included) when a line is due now, else 0: the first occurrence is always reported, then at
  // most one per period.
  std::uint64_t occurred(Clock::time_point now = Clock::now()) noexcept;

 private:
  static constexpr Clock::rep kNever = std::numeric_limits<Clock::rep>::min();
  const Clock::duration period_;
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> reported_{0};   // total_ when the last line was due
  std::atomic<Clock::rep> last_line_{kNever};  // when it was
};

}  // namespace switchboard::config
