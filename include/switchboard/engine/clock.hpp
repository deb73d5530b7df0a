#pragma once
// Time as the engine sees it: injectable, so TTL behaviour is tested without sleeping.
#include <chrono>
#include <functional>

namespace switchboard::engine {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Returns the current time. The default reads std::chrono::steady_clock; tests pass a
// ManualClock's now().
using NowFn = std::function<TimePoint()>;

inline NowFn system_now() {
  return [] { return Clock::now(); };
}

// A clock that only moves when told to. Thread safety: not synchronised; tests advance it
// between calls.
class ManualClock {
 public:
  TimePoint now() const noexcept { return now_; }
  void advance(std::chrono::milliseconds d) noexcept { now_ += d; }
  NowFn fn() {
    return [this] { return now_; };
  }

 private:
  TimePoint now_{std::chrono::hours(1)};
};

}  // namespace switchboard::engine
