// The OfflineStore contract: every clause of offline_store.hpp, for any backend.
#include "offline_contract.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;
using Payloads = std::vector<std::string>;

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OfflineContract);

TEST_P(OfflineContract, TakeReturnsOldestFirstAndForgets) {
  EXPECT_EQ(push("alice", "1"), 0u);
  EXPECT_EQ(push("alice", "2"), 0u);
  EXPECT_EQ(push("alice", "3"), 0u);
  EXPECT_EQ(take("alice"), (Payloads{"1", "2", "3"}));
  EXPECT_TRUE(take("alice").empty());
  EXPECT_TRUE(take("nobody").empty());
}

TEST_P(OfflineContract, KeepsAtMostMaxMessagesDroppingTheOldest) {
  const OfflineLimits three{3, std::chrono::hours(1)};
  EXPECT_EQ(push("alice", "1", three), 0u);
  EXPECT_EQ(push("alice", "2", three), 0u);
  EXPECT_EQ(push("alice", "3", three), 0u);
  EXPECT_EQ(push("alice", "4", three), 1u);
  EXPECT_EQ(push("alice", "5", three), 1u);
  EXPECT_EQ(take("alice"), (Payloads{"3", "4", "5"}));
}

TEST_P(OfflineContract, MaxMessagesZeroDropsTheMessageItself) {
  EXPECT_EQ(push("alice", "1", OfflineLimits{0, std::chrono::hours(1)}), 1u);
  EXPECT_TRUE(take("alice").empty());
}

TEST_P(OfflineContract, MessagesExpireIndividually) {
  const OfflineLimits second{10, milliseconds(1000)};
  push("alice", "1", second);
  clock_.advance(milliseconds(500));
  push("alice", "2", second);
  clock_.advance(milliseconds(499));  // t0 + 999: both live
  push("bob", "b", second);
  clock_.advance(milliseconds(1));  // t0 + 1000: "1" expired
  EXPECT_EQ(take("alice"), Payloads{"2"});
  clock_.advance(milliseconds(999));  // bob's expired too
  EXPECT_TRUE(take("bob").empty());
}

TEST_P(OfflineContract, ExpiredMessagesAreNotCountedAsDropped) {
  const OfflineLimits two{2, milliseconds(1000)};
  push("alice", "1", two);
  push("alice", "2", two);
  clock_.advance(milliseconds(1000));
  EXPECT_EQ(push("alice", "3", two), 0u);
  EXPECT_EQ(take("alice"), Payloads{"3"});
}

TEST_P(OfflineContract, AMessageAlreadyHeldIsNotKeptTwice) {
  // Two devices of one user give back the same unacknowledged message (the helper uses the
  // payload as the message id): one copy stays, where it was, and nothing is dropped for it.
  const OfflineLimits two{2, std::chrono::hours(1)};
  EXPECT_EQ(push("alice", "1", two), 0u);
  EXPECT_EQ(push("alice", "2", two), 0u);
  EXPECT_EQ(push("alice", "1", two), 0u);
  EXPECT_EQ(take("alice"), (Payloads{"1", "2"}));
}

TEST_P(OfflineContract, UsersAreIndependent) {
  push("alice", "a");
  push("bob", "b");
  EXPECT_EQ(take("alice"), Payloads{"a"});
  EXPECT_EQ(take("bob"), Payloads{"b"});
}

TEST_P(OfflineContract, ConcurrentPushesAddUp) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  const OfflineLimits room{kThreads * kPerThread, std::chrono::hours(1)};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        push("shared", std::to_string(t) + ":" + std::to_string(i), room);
      }
    });
  }
  for (auto& th : threads) th.join();
  // Each thread's messages stay in the order that thread pushed them.
  expect_each_sender_in_order(take("shared"), kThreads, kPerThread);
}

}  // namespace switchboard::engine::contract
