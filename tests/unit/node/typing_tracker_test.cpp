// TypingTracker: start vs renewal, explicit stop, and expiry on a 32-bit millisecond clock that
// wraps around.
#include "typing_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::node {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs sorted(Pairs v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(TypingTracker, FirstTouchStartsRenewalDoesNot) {
  TypingTracker t;
  EXPECT_TRUE(t.touch("conv:1", "alice", 100));
  EXPECT_FALSE(t.touch("conv:1", "alice", 200));
  EXPECT_FALSE(t.touch("conv:1", "alice", 300));
  EXPECT_EQ(t.size(), 1u);
}

TEST(TypingTracker, ChannelsAndUsersAreIndependent) {
  TypingTracker t;
  EXPECT_TRUE(t.touch("conv:1", "alice", 100));
  EXPECT_TRUE(t.touch("conv:1", "bob", 100));
  EXPECT_TRUE(t.touch("conv:2", "alice", 100));
  EXPECT_EQ(t.size(), 3u);
}

TEST(TypingTracker, KeyDoesNotConfuseChannelAndUserBoundaries) {
  TypingTracker t;
  EXPECT_TRUE(t.touch("ab", "c", 100));
  EXPECT_TRUE(t.touch("a", "bc", 100));
  EXPECT_EQ(t.size(), 2u);
}

TEST(TypingTracker, StopRemovesOnlyThatEntry) {
  TypingTracker t;
  t.touch("c", "alice", 100);
  t.touch("c", "bob", 100);
  EXPECT_TRUE(t.stop("c", "alice"));
  EXPECT_FALSE(t.stop("c", "alice"));
  EXPECT_FALSE(t.stop("other", "bob"));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.touch("c", "alice", 200)) << "typing again after a stop is a new start";
}

TEST(TypingTracker, ExpiresAtTheDeadlineNotBefore) {
  TypingTracker t;
  t.touch("c", "alice", 1000);
  t.touch("c", "bob", 2000);
  EXPECT_TRUE(t.expire(999).empty());
  EXPECT_EQ(t.expire(1000), (Pairs{{"c", "alice"}}));
  EXPECT_TRUE(t.expire(1999).empty());
  EXPECT_EQ(t.expire(5000), (Pairs{{"c", "bob"}}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.expire(9000).empty()) << "an expired entry is reported once";
}

TEST(TypingTracker, RenewalMovesTheDeadline) {
  TypingTracker t;
  t.touch("c", "alice", 1000);
  t.touch("c", "alice", 3000);
  EXPECT_TRUE(t.expire(2000).empty());
  EXPECT_EQ(t.expire(3000), (Pairs{{"c", "alice"}}));
  EXPECT_TRUE(t.touch("c", "alice", 4000)) << "typing after expiry is a new start";
}

TEST(TypingTracker, ExpireReturnsEveryDueEntry) {
  TypingTracker t;
  for (int i = 0; i < 50; ++i) {
    t.touch("c" + std::to_string(i % 5), "u" + std::to_string(i), static_cast<std::uint32_t>(i));
  }
  const Pairs due = t.expire(24);
  EXPECT_EQ(due.size(), 25u);
  EXPECT_EQ(t.size(), 25u);
  for (const auto& [channel, user] : due) {
    const int i = std::stoi(user.substr(1));
    EXPECT_LE(i, 24);
    EXPECT_EQ(channel, "c" + std::to_string(i % 5));
  }
}

TEST(TypingTracker, DeadlineAcrossTheWrap) {
  // The clock is milliseconds mod 2^32; a deadline 20 ms after 0xFFFFFFF0 is 4.
  constexpr std::uint32_t kNearWrap = 0xFFFFFFF0u;
  TypingTracker t;
  t.touch("c", "alice", kNearWrap + 20u);
  EXPECT_TRUE(t.expire(kNearWrap).empty()) << "4 is after 0xFFFFFFF0, not before";
  EXPECT_TRUE(t.expire(0xFFFFFFFFu).empty());
  EXPECT_TRUE(t.expire(3).empty());
  EXPECT_EQ(t.expire(4), (Pairs{{"c", "alice"}}));
}

TEST(TypingTracker, PastDeadlineAcrossTheWrap) {
  // Now has wrapped past a deadline set just before the wrap.
  TypingTracker t;
  t.touch("c", "alice", 0xFFFFFFFAu);
  t.touch("c", "bob", 50);
  EXPECT_EQ(sorted(t.expire(10)), (Pairs{{"c", "alice"}}));
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace switchboard::node
