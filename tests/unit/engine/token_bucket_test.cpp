// TokenBucket: the per-connection bucket arithmetic (no key, no lock).
#include <gtest/gtest.h>

#include <chrono>

#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine {
namespace {

using std::chrono::milliseconds;

class TokenBucketTest : public ::testing::Test {
 protected:
  TimePoint t0_ = ManualClock{}.now();
};

TEST_F(TokenBucketTest, StartsWithBurstTokens) {
  TokenBucket bucket(3, t0_);
  const RateLimit limit{1, 3};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(limit, t0_).allowed);
  const RateDecision refused = bucket.take(limit, t0_);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(1000));
}

TEST_F(TokenBucketTest, ChargeTakesWhatTheBucketCannotCoverAsADebt) {
  TokenBucket bucket(2, t0_);
  const RateLimit limit{10, 2};  // 100 ms per token
  bucket.charge(limit, t0_, 1);  // covered: as take()
  bucket.charge(limit, t0_, 3);  // 1 left, 3 charged: 2 owed
  const RateDecision refused = bucket.take(limit, t0_ + milliseconds(100));
  EXPECT_FALSE(refused.allowed) << "the refill pays the debt first";
  EXPECT_EQ(refused.retry_after, milliseconds(200)) << "-1 tokens: 2 missing";
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(300)).allowed);
  EXPECT_FALSE(bucket.take(limit, t0_ + milliseconds(300)).allowed);
}

TEST_F(TokenBucketTest, DefaultConstructedStartsFullAtFirstUse) {
  TokenBucket bucket;
  const RateLimit limit{1, 2};
  EXPECT_TRUE(bucket.full(limit, t0_));
  EXPECT_TRUE(bucket.take(limit, t0_).allowed);
  EXPECT_TRUE(bucket.take(limit, t0_).allowed);
  EXPECT_FALSE(bucket.take(limit, t0_).allowed);
}

TEST_F(TokenBucketTest, RefillsProportionallyToElapsedTime) {
  TokenBucket bucket(10, t0_);
  const RateLimit limit{4, 10};  // 250 ms per token
  EXPECT_TRUE(bucket.take(limit, t0_, 10).allowed);
  EXPECT_FALSE(bucket.take(limit, t0_ + milliseconds(249)).allowed);
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(250)).allowed);
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(1250), 4).allowed);
  EXPECT_FALSE(bucket.take(limit, t0_ + milliseconds(1250)).allowed);
}

TEST_F(TokenBucketTest, FractionalCostsAndRetryAfterRoundUp) {
  TokenBucket bucket(1, t0_);
  const RateLimit limit{7, 1};
  EXPECT_TRUE(bucket.take(limit, t0_, 0.5).allowed);
  const RateDecision refused = bucket.take(limit, t0_, 0.75);
  EXPECT_FALSE(refused.allowed);
  // 0.25 tokens at 7/s = 35.71 ms → 36.
  EXPECT_EQ(refused.retry_after, milliseconds(36));
  EXPECT_FALSE(bucket.take(limit, t0_ + milliseconds(35), 0.75).allowed);
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(36), 0.75).allowed);
}

TEST_F(TokenBucketTest, ExactRefillIsNotLostToRounding) {
  // 0.1 s × 10/s is 1.0000000000000000555 or 0.99999999999999994 depending on the path:
  // either way one token must be there after retry_after.
  TokenBucket bucket(1, t0_);
  const RateLimit limit{10, 1};
  TimePoint now = t0_;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(bucket.take(limit, now).allowed) << i;
    const RateDecision refused = bucket.take(limit, now);
    ASSERT_FALSE(refused.allowed);
    ASSERT_EQ(refused.retry_after, milliseconds(100));
    now += refused.retry_after;
  }
}

TEST_F(TokenBucketTest, NeverAboveBurstAndClampedWhenBurstShrinks) {
  TokenBucket bucket(5, t0_);
  EXPECT_TRUE(bucket.full(RateLimit{1, 5}, t0_ + std::chrono::hours(10)));
  // The limit changed to a smaller burst: the bucket holds at most the new burst.
  const RateLimit smaller{1, 2};
  EXPECT_TRUE(bucket.take(smaller, t0_).allowed);
  EXPECT_TRUE(bucket.take(smaller, t0_).allowed);
  EXPECT_FALSE(bucket.take(smaller, t0_).allowed);
}

TEST_F(TokenBucketTest, CostAboveBurstOrZeroRateIsNever) {
  TokenBucket bucket(2, t0_);
  EXPECT_EQ(bucket.take(RateLimit{1, 2}, t0_, 3).retry_after, kNever);
  EXPECT_TRUE(bucket.take(RateLimit{0, 2}, t0_, 2).allowed);
  const RateDecision refused = bucket.take(RateLimit{0, 2}, t0_ + std::chrono::hours(1));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, kNever);
}

TEST_F(TokenBucketTest, ClockGoingBackwardsNeitherRefillsNorBreaks) {
  TokenBucket bucket(1, t0_ + milliseconds(500));
  const RateLimit limit{10, 1};
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(500)).allowed);
  EXPECT_FALSE(bucket.take(limit, t0_).allowed);  // an older `now` from another thread
  EXPECT_TRUE(bucket.take(limit, t0_ + milliseconds(600)).allowed);
}

TEST_F(TokenBucketTest, FullTellsWhenForgettingChangesNothing) {
  TokenBucket bucket(2, t0_);
  const RateLimit limit{1, 2};
  EXPECT_TRUE(bucket.full(limit, t0_));
  bucket.take(limit, t0_);
  EXPECT_FALSE(bucket.full(limit, t0_ + milliseconds(999)));
  EXPECT_TRUE(bucket.full(limit, t0_ + milliseconds(1000)));
}

}  // namespace
}  // namespace switchboard::engine
