// RedisRateLimiter beyond the RateLimiter contract: the shared bucket's arithmetic is the
// local one's, several nodes share a bucket, Redis down leaves the local bucket deciding, the
// local map stays bounded, and a limiter may go with syncs in flight.
#include "redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <random>
#include <string>

#include "redis_engine_test_support.hpp"
#include "redis_server_process.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"

namespace switchboard::engine::redis {
namespace {

using std::chrono::milliseconds;
using test::RedisServerProcess;
using testing::engine_options;
using testing::eventually;

std::shared_ptr<RedisContext> started(const RedisEngineOptions& options, NowFn now) {
  auto context = RedisContext::make(options, std::move(now));
  context->start();
  EXPECT_TRUE(eventually([&] { return context->ready(0); })) << "Redis not ready";
  return context;
}

// Waits (bounded, polling) until every allowed take of `limiter` was answered by Redis and
// applied: then its local buckets are the shared buckets.
bool synced(const RedisRateLimiter& limiter) {
  return eventually([&] { return limiter.pending_syncs() == 0; });
}

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  RedisServerProcess server_ = RedisServerProcess::start();
  RedisEngineOptions options_ = engine_options({server_.port()});
  ManualClock clock_;
};

TEST_F(RedisRateLimiterTest, SharedBucketDecidesAsTheMemoryLimiterDoes) {
  // Synced after every take, the local bucket is whatever Redis answered: the script's
  // arithmetic must match TokenBucket's to the millisecond of every retry_after.
  RedisRateLimiter limiter(started(options_, clock_.fn()));
  MemoryRateLimiter reference(clock_.fn());
  const RateLimit limit{3, 5};  // one token every 333.3 ms: inexact doubles
  std::mt19937 rng(11);
  int allowed = 0;
  for (int i = 0; i < 300; ++i) {
    clock_.advance(milliseconds(rng() % 250));
    const double cost = 1 + rng() % 3;
    const RateDecision got = limiter.take("k", limit, cost);
    const RateDecision want = reference.take("k", limit, cost);
    ASSERT_EQ(got.allowed, want.allowed) << "take " << i;
    ASSERT_EQ(got.retry_after, want.retry_after) << "take " << i;
    allowed += got.allowed;
    ASSERT_TRUE(synced(limiter));
  }
  EXPECT_GT(allowed, 50) << "the sequence has allowed takes";
  EXPECT_LT(allowed, 250) << "and refused ones";
  EXPECT_EQ(limiter.stats().synced, static_cast<std::uint64_t>(allowed));
  EXPECT_EQ(limiter.stats().over_admitted, 0u) << "one node: Redis never disagrees";
}

TEST_F(RedisRateLimiterTest, TwoNodesShareABucketAfterAtMostOneOverAdmission) {
  // Two limiters on two contexts with one prefix: two nodes. One token an hour, so the few
  // milliseconds between the two contexts' logical clocks (anchored at construction) refill
  // nothing that matters.
  RedisRateLimiter a(started(options_, clock_.fn()));
  RedisRateLimiter b(started(options_, clock_.fn()));
  const RateLimit limit{1.0 / 3600, 5};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(a.take("user:1", limit).allowed) << i;
  EXPECT_FALSE(a.take("user:1", limit).allowed);
  ASSERT_TRUE(synced(a));
  EXPECT_EQ(a.stats().synced, 5u);

  // B has not heard of the key: its first take passes locally and is charged to the empty
  // shared bucket as a debt (the one over-admission); its reply brings B up to date.
  EXPECT_TRUE(b.take("user:1", limit).allowed);
  ASSERT_TRUE(synced(b));
  EXPECT_EQ(b.stats().over_admitted, 1u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(b.take("user:1", limit).allowed) << i;
  EXPECT_TRUE(b.take("user:2", limit).allowed) << "other keys are untouched";
}

TEST_F(RedisRateLimiterTest, NodesTakingInTurnTogetherGetWhatOneBucketGives) {
  // Ten per second, burst 5; both nodes try every 100 ms, each synced before the other takes.
  // Each node's bucket refills as if it were alone, so each keeps admitting a token the other
  // just took — the debt those leave in the shared bucket is what holds the pair to one
  // bucket's worth: the burst, a token per 100 ms over 39 intervals, and one over-admission
  // not yet paid back (without the debt: 80, every take). The nodes' clocks differ by the
  // milliseconds between the contexts' construction, which can move one decision: ±1.
  RedisRateLimiter a(started(options_, clock_.fn()));
  RedisRateLimiter b(started(options_, clock_.fn()));
  const RateLimit limit{10, 5};
  constexpr int kSteps = 40;
  int allowed = 0;
  for (int step = 0; step < kSteps; ++step) {
    for (RedisRateLimiter* node : {&a, &b}) {
      allowed += node->take("room", limit).allowed;
      ASSERT_TRUE(synced(*node));
    }
    clock_.advance(milliseconds(100));
  }
  const int one_bucket = 5 + (kSteps - 1) + 1;
  EXPECT_GE(allowed, one_bucket - 1);
  EXPECT_LE(allowed, one_bucket + 1);
  EXPECT_GT(a.stats().over_admitted + b.stats().over_admitted, 0u) << "stale views happened";
}

TEST_F(RedisRateLimiterTest, WithRedisDownTheLocalBucketDecidesAlone) {
  auto context = started(options_, clock_.fn());
  RedisRateLimiter limiter(context);
  MemoryRateLimiter reference(clock_.fn());
  server_.kill();
  ASSERT_TRUE(eventually([&] { return !context->ready(0); }));
  const RateLimit limit{10, 5};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(limiter.take("k", limit).allowed, reference.take("k", limit).allowed) << i;
  }
  EXPECT_EQ(limiter.stats().local_only, 5u) << "every allowed take, counted";
  EXPECT_EQ(limiter.pending_syncs(), 0u) << "nothing waits for Redis";
}

TEST_F(RedisRateLimiterTest, ForgetsLocalBucketsThatRefilled) {
  RedisRateLimiter limiter(started(options_, clock_.fn()));
  const RateLimit limit{10, 5};
  constexpr int kKeys = 2000;
  for (int i = 0; i < kKeys; ++i) limiter.take("old:" + std::to_string(i), limit);
  ASSERT_TRUE(synced(limiter));
  EXPECT_EQ(limiter.bucket_count(), static_cast<std::size_t>(kKeys));
  clock_.advance(milliseconds(1000));  // every old bucket is full again
  for (int i = 0; i < kKeys; ++i) limiter.take("new:" + std::to_string(i), limit);
  // The sweep inspects about two buckets per take (as the memory limiter's): most of the
  // old ones are gone (bound far from both 2000 and 4000).
  EXPECT_LT(limiter.bucket_count(), static_cast<std::size_t>(kKeys + kKeys / 2));
}

TEST_F(RedisRateLimiterTest, ADestroyedLimiterLeavesItsSyncsHarmless) {
  auto context = started(options_, clock_.fn());
  // The I/O thread waits until the limiter is gone, so every sync is still queued then.
  std::promise<void> release;
  ASSERT_TRUE(context->post([gate = release.get_future().share()] { gate.wait(); }));
  {
    RedisRateLimiter limiter(context);
    for (int i = 0; i < 500; ++i) limiter.take("k" + std::to_string(i % 50), RateLimit{10, 20});
    EXPECT_EQ(limiter.pending_syncs(), 500u);
  }
  release.set_value();
  // The syncs are sent and answered into the state they keep alive; the context serves on.
  RedisRateLimiter next(context);
  EXPECT_TRUE(next.take("k0", RateLimit{10, 20}).allowed);
  ASSERT_TRUE(synced(next));
  EXPECT_EQ(next.stats().synced, 1u);
  EXPECT_EQ(next.stats().over_admitted, 0u) << "k0 had 10 of its 20 tokens taken";
}

}  // namespace
}  // namespace switchboard::engine::redis
