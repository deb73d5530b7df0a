#pragma once
// Time as the engine sees it: injectable, so TTL behaviour is tested without sleeping.
#include <atomic>
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

// A clock that only moves when told to. Thread safety: now() and advance() may be called
// from any thread (a test advances it while a node's housekeeping thread reads it).
class ManualClock {
 public:
  TimePoint now() const noexcept { return TimePoint(Clock::duration(ticks_.load())); }
  void advance(std::chrono::milliseconds d) noexcept {
    ticks_ += std::chrono::duration_cast<Clock::duration>(d).count();
  }
  NowFn fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<Clock::rep> ticks_{
      std::chrono::duration_cast<Clock::duration>(std::chrono::hours(1)).count()};
};

}  // namespace switchboard::engine
