// The memory stores forget dead entries (expired channels and users, refilled buckets) as they
// are used, so memory follows the live set rather than everything ever seen. The broker's
// idempotency keys too, and those also stop at a cap.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "idempotency_keys.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/memory/memory_history.hpp"
#include "switchboard/engine/memory/memory_node_registry.hpp"
#include "switchboard/engine/memory/memory_offline_store.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"

namespace switchboard::engine {
namespace {

using std::chrono::milliseconds;

// Each round uses kPerRound never-seen keys, then lets them all die. Without sweeping a store
// would hold kRounds × kPerRound entries at the end; with it, a small multiple of one round.
constexpr int kRounds = 10;
constexpr int kPerRound = 2000;
constexpr std::size_t kBound = 3 * kPerRound;
constexpr milliseconds kTtl{1000};

std::string key(int round, int i) {
  return std::to_string(round) + "/" + std::to_string(i);
}

template <class Use, class Count>
void expect_bounded(ManualClock& clock, Use&& use, Count&& count) {
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) use(key(round, i));
    ASSERT_GE(count(), static_cast<std::size_t>(kPerRound) / 2) << "round " << round;
    clock.advance(kTtl);
  }
  EXPECT_LE(count(), kBound);
}

TEST(MemorySweep, HistoryForgetsExpiredStreams) {
  ManualClock clock;
  MemoryHistory history(clock.fn());
  Publication p;
  expect_bounded(
      clock,
      [&](const std::string& channel) {
        p.channel = channel;
        history.append(p, HistoryOptions{10, kTtl}, nullptr);
      },
      [&] { return history.stream_count(); });
}

Publication keyed(const std::string& key, milliseconds window) {
  Publication p;
  p.channel = "ch";
  p.idempotency_key = key;
  p.dedupe_window = window;
  return p;
}

TEST(MemorySweep, IdempotencyKeysForgetExpiredKeys) {
  ManualClock clock;
  memory_detail::IdempotencyKeys keys;
  expect_bounded(
      clock, [&](const std::string& key) { keys.remember(keyed(key, kTtl), {}, clock.now()); },
      [&] { return keys.size(); });
  EXPECT_EQ(keys.evicted_early(), 0u);
}

TEST(MemorySweep, IdempotencyKeysStopAtTheirCap) {
  ManualClock clock;
  memory_detail::IdempotencyKeys keys;
  constexpr std::size_t kOver = 100;
  const auto kCap = memory_detail::IdempotencyKeys::kMaxKeys;
  for (std::size_t i = 0; i < kCap + kOver; ++i) {
    keys.remember(keyed(std::to_string(i), std::chrono::hours(1)), {i + 1, "e"}, clock.now());
  }
  EXPECT_EQ(keys.size(), kCap);
  EXPECT_EQ(keys.evicted_early(), kOver);
  const auto newest = keys.find(keyed(std::to_string(kCap + kOver - 1), {}), clock.now());
  ASSERT_TRUE(newest);
  EXPECT_EQ(*newest, (StreamPosition{kCap + kOver, "e"}));
}

TEST(MemorySweep, HistoryStreamsStartedByReadExpire) {
  ManualClock clock;
  MemoryHistory history(clock.fn(), kTtl);
  // The memory history answers inline; `answers` proves every callback ran.
  int answers = 0;
  auto position = [&] {
    StreamPosition at;
    history.read("ch", std::nullopt, 10, [&](std::error_code, HistoryResult r) {
      at = r.position;
      ++answers;
    });
    return at;
  };
  const StreamPosition seen = position();
  ASSERT_FALSE(seen.epoch.empty());
  clock.advance(kTtl - milliseconds(1));
  EXPECT_EQ(position(), seen) << "a read keeps the stream it started alive until its TTL";
  clock.advance(milliseconds(1));
  EXPECT_NE(position().epoch, seen.epoch) << "at the TTL the stream is forgotten: a new epoch";
  EXPECT_EQ(answers, 3);
  expect_bounded(
      clock, [&](const std::string& channel) { history.read(channel, std::nullopt, 1, nullptr); },
      [&] { return history.stream_count(); });
}

TEST(MemorySweep, PresenceForgetsExpiredChannelsAndUsers) {
  ManualClock clock;
  MemoryPresence presence(clock.fn());
  expect_bounded(
      clock,
      [&](const std::string& k) {
        presence.add("room" + k, PresenceEntry{"c" + k, "u" + k, "n"}, kTtl, nullptr);
      },
      [&] { return presence.channel_count(); });
  EXPECT_LE(presence.user_count(), kBound);
  expect_bounded(
      clock, [&](const std::string& k) { presence.touch_user("t" + k, kTtl, nullptr); },
      [&] { return presence.user_count(); });
}

TEST(MemorySweep, RegistryForgetsExpiredUsers) {
  ManualClock clock;
  MemoryNodeRegistry registry(clock.fn());
  expect_bounded(
      clock,
      [&](const std::string& user) {
        registry.add_connection(user, {"n1", "c1"}, kTtl, kNoConnectionLimit, nullptr);
      },
      [&] { return registry.user_count(); });
}

TEST(MemorySweep, RateLimiterForgetsRefilledBuckets) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock.fn());
  const RateLimit limit{1, 1};  // empty after one take, full again after kTtl
  expect_bounded(
      clock, [&](const std::string& k) { limiter.take(k, limit); },
      [&] { return limiter.bucket_count(); });
}

TEST(MemorySweep, RateLimiterKeepsBucketsThatAreNotFull) {
  ManualClock clock;
  MemoryRateLimiter limiter(clock.fn());
  const RateLimit slow{0.001, 1};
  limiter.take("busy", slow);
  for (int i = 0; i < 5000; ++i) limiter.take(std::to_string(i), slow);
  // Forgetting "busy" would hand it a fresh token.
  EXPECT_FALSE(limiter.take("busy", slow).allowed);
}

TEST(MemorySweep, OfflineStoreForgetsUsersWhoseMessagesExpired) {
  ManualClock clock;
  MemoryOfflineStore offline(clock.fn());
  auto p = std::make_shared<const Publication>();
  expect_bounded(
      clock,
      [&](const std::string& user) {
        offline.push(user, p, OfflineLimits{10, kTtl}, nullptr);
      },
      [&] { return offline.user_count(); });
}

}  // namespace
}  // namespace switchboard::engine
