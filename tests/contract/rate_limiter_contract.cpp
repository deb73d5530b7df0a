// The RateLimiter contract: every clause of rate_limiter.hpp, for any backend.
#include "rate_limiter_contract.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;
constexpr RateLimit kTenPerSecond{10, 5};  // one token every 100 ms, at most 5

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RateLimiterContract);

TEST_P(RateLimiterContract, BucketStartsFullWithBurstTokens) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store_->take("k", kTenPerSecond).allowed) << i;
  const RateDecision refused = store_->take("k", kTenPerSecond);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(100));
}

TEST_P(RateLimiterContract, RefusedTakeRemovesNothing) {
  EXPECT_TRUE(store_->take("k", kTenPerSecond, 3).allowed);  // 2 left
  const RateDecision refused = store_->take("k", kTenPerSecond, 4);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(200));         // 2 tokens missing at 10/s
  EXPECT_TRUE(store_->take("k", kTenPerSecond, 2).allowed);  // the 2 are still there
}

TEST_P(RateLimiterContract, RefillsAtRateButNeverAboveBurst) {
  for (int i = 0; i < 5; ++i) store_->take("k", kTenPerSecond);
  clock_.advance(milliseconds(300));  // 3 tokens back
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store_->take("k", kTenPerSecond).allowed) << i;
  EXPECT_FALSE(store_->take("k", kTenPerSecond).allowed);

  clock_.advance(std::chrono::hours(1));  // would be 36000 tokens without the cap
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store_->take("k", kTenPerSecond).allowed) << i;
  EXPECT_FALSE(store_->take("k", kTenPerSecond).allowed);
}

TEST_P(RateLimiterContract, RetryAfterIsExactToTheMillisecond) {
  const RateLimit odd{3, 2};  // one token every 333.3 ms
  store_->take("k", odd, 2);
  const RateDecision refused = store_->take("k", odd);
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(334));  // rounded up
  clock_.advance(refused.retry_after - milliseconds(1));
  EXPECT_FALSE(store_->take("k", odd).allowed);
  clock_.advance(milliseconds(1));
  EXPECT_TRUE(store_->take("k", odd).allowed);
}

TEST_P(RateLimiterContract, CostAboveBurstOrNoRefillIsNever) {
  const RateDecision too_big = store_->take("k", kTenPerSecond, 6);
  EXPECT_FALSE(too_big.allowed);
  EXPECT_EQ(too_big.retry_after, kNever);
  EXPECT_TRUE(store_->take("k", kTenPerSecond, 5).allowed);  // nothing was removed

  const RateLimit no_refill{0, 1};
  EXPECT_TRUE(store_->take("once", no_refill).allowed);
  const RateDecision refused = store_->take("once", no_refill);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, kNever);
}

TEST_P(RateLimiterContract, KeysAreIndependent) {
  for (int i = 0; i < 5; ++i) store_->take("user:1", kTenPerSecond);
  EXPECT_FALSE(store_->take("user:1", kTenPerSecond).allowed);
  EXPECT_TRUE(store_->take("user:2", kTenPerSecond).allowed);
  EXPECT_TRUE(store_->take("ip:10.0.0.1", kTenPerSecond).allowed);
}

TEST_P(RateLimiterContract, ConcurrentTakesNeverExceedTheBucket) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  const RateLimit limit{10, 150};  // the clock does not move: exactly 150 tokens
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        if (store_->take("shared", limit).allowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 150);
}

}  // namespace switchboard::engine::contract
