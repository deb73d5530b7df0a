// Repeated failures: the first is reported, then one line per period with the count since.
#include "switchboard/config/rate_limited_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace switchboard::config {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimitedLog::Clock;

TEST(RateLimitedLog, TheFirstIsReportedThenOneLinePerPeriodWithTheCountSince) {
  RateLimitedLog log(1s);
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(log.occurred(t0), 1u);
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(log.occurred(t0 + i * 50ms), 0u);
  EXPECT_EQ(log.occurred(t0 + 1s), 11u) << "ten quiet ones and this one";
  EXPECT_EQ(log.occurred(t0 + 1500ms), 0u);
  EXPECT_EQ(log.occurred(t0 + 10s), 2u);
}

TEST(RateLimitedLog, OfManyThreadsAtOnceOneReportsAndNothingIsCountedTwice) {
  RateLimitedLog log(1h);  // one line at most during the test
  std::atomic<std::uint64_t> reported{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) reported += log.occurred();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(reported.load(), 1u);
  EXPECT_EQ(log.occurred(Clock::now() + 2h), 4000u);
}

}  // namespace
}  // namespace switchboard::config
