// follow_shared(): the local bucket of the Redis rate limiter after Redis answered a take.
#include "bucket_sync.hpp"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace switchboard::engine::redis {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // a wall-clock millisecond, as now_ms() gives

using Decision = std::pair<bool, std::chrono::milliseconds::rep>;

// What a bucket answers to a few later takes (each on a copy, so they do not add up).
std::vector<Decision> probe(const TokenBucket& bucket, const RateLimit& limit, std::int64_t from) {
  std::vector<Decision> out;
  for (int i = 0; i < 12; ++i) {
    TokenBucket copy = bucket;
    const RateDecision d = copy.take(limit, logical_time(from + i * 37), 1 + i % 3);
    out.emplace_back(d.allowed, d.retry_after.count());
  }
  return out;
}

TEST(BucketSync, WithNobodyElseTakingFollowingTheSharedBucketChangesNothing) {
  // The node allowed and sent sent[0..n) (the takes it refused are never sent); Redis
  // answered sent[0] only (the shared bucket: burst - cost at its time). Charging the
  // unanswered takes to that state gives the node's own bucket back, whatever the clock did
  // in between (refills, the burst cap, refusals).
  const RateLimit limit{3, 5};  // one token every 333.3 ms: inexact doubles
  std::mt19937 rng(7);
  std::int64_t at = kT0;
  TokenBucket node(limit.burst, logical_time(at));
  std::vector<SentTake> sent;
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    at += static_cast<std::int64_t>(rng() % 200);  // mostly short of tokens: refusals too
    const double cost = 1 + rng() % 3;
    if (node.take(limit, logical_time(at), cost).allowed) {
      sent.push_back({static_cast<std::uint64_t>(i), at, cost, limit});
    } else {
      ++refused;
    }
  }
  ASSERT_GT(refused, 50);
  ASSERT_GT(sent.size(), 50u);
  const TokenBucket followed =
      follow_shared(limit.burst - sent[0].cost, sent[0].at_ms, std::span(sent).subspan(1));
  EXPECT_EQ(probe(followed, limit, at), probe(node, limit, at));
}

TEST(BucketSync, WhatOtherNodesTookIsSeenAndTheUnansweredTakesArePaidFor) {
  const RateLimit limit{10, 5};
  // The node took 3 (2 left, locally); the shared bucket says 1 token left at the first take:
  // another node took 3 more. Of the two unanswered takes the first finds the token and the
  // second, already admitted, is charged as a debt — as Redis will charge them.
  const std::vector<SentTake> unanswered{{2, kT0, 1, limit}, {3, kT0, 1, limit}};
  const TokenBucket followed = follow_shared(1, kT0, unanswered);
  TokenBucket copy = followed;
  const RateDecision next = copy.take(limit, logical_time(kT0), 1);
  EXPECT_FALSE(next.allowed);
  EXPECT_EQ(next.retry_after, std::chrono::milliseconds(200)) << "one token owed, one wanted";
}

TEST(BucketSync, ASharedBucketAheadOfThisNodesClockIsNotRefilledBackwards) {
  // Another node's clock runs 50 ms ahead: the shared bucket's last refill is in this node's
  // future. Until this node's clock passes it, nothing refills (the script does the same).
  const RateLimit limit{10, 5};
  TokenBucket followed = follow_shared(0, kT0 + 50, {});
  EXPECT_FALSE(followed.take(limit, logical_time(kT0), 1).allowed);
  const RateDecision at_lead = followed.take(limit, logical_time(kT0 + 50), 1);
  EXPECT_FALSE(at_lead.allowed);
  EXPECT_EQ(at_lead.retry_after, std::chrono::milliseconds(100));
  EXPECT_TRUE(followed.take(limit, logical_time(kT0 + 150), 1).allowed);
}

}  // namespace
}  // namespace switchboard::engine::redis
