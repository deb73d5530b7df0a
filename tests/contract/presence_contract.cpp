// The PresenceStore contract: every clause of presence_store.hpp, for any backend.
#include "presence_contract.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTtl{90'000};

PresenceEntry entry(std::string client, std::string user, std::string node = "n1") {
  return {std::move(client), std::move(user), std::move(node)};
}

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PresenceContract);

TEST_P(PresenceContract, MutationsCompleteOnceWithoutError) {
  CompletionCheck added, touched, removed, removed_unknown;
  store_->add("room", entry("c1", "alice"), kTtl, added.result_callback<std::size_t>());
  store_->touch_user("alice", kTtl, touched.callback());
  store_->remove("room", "c1", removed.result_callback<std::size_t>());
  store_->remove("room", "nobody", removed_unknown.result_callback<std::size_t>());
  for (auto* check : {&added, &touched, &removed, &removed_unknown}) check->expect_succeeded();
}

TEST_P(PresenceContract, AddedEntriesAreListedWithTheirFields) {
  store_->add("room", entry("c1", "alice", "node-a"), kTtl);
  store_->add("room", entry("c2", "bob", "node-b"), kTtl);
  EXPECT_EQ(members("room"), (std::vector<PresenceEntry>{entry("c1", "alice", "node-a"),
                                                         entry("c2", "bob", "node-b")}));
  EXPECT_TRUE(members("other").empty());
}

TEST_P(PresenceContract, AddingTheSameClientAgainRefreshesInsteadOfDuplicating) {
  store_->add("room", entry("c1", "alice", "node-a"), kTtl);
  store_->add("room", entry("c1", "alice", "node-b"), kTtl);
  EXPECT_EQ(members("room"), std::vector<PresenceEntry>{entry("c1", "alice", "node-b")});
}

TEST_P(PresenceContract, OneClientInSeveralChannelsIsListedInEach) {
  store_->add("a", entry("c1", "alice"), kTtl);
  store_->add("b", entry("c1", "alice"), kTtl);
  EXPECT_EQ(members("a").size(), 1u);
  EXPECT_EQ(members("b").size(), 1u);
  store_->remove("a", "c1");
  EXPECT_TRUE(members("a").empty());
  EXPECT_EQ(members("b").size(), 1u);
}

TEST_P(PresenceContract, RemoveDeletesAtOnceAndIgnoresUnknownClients) {
  store_->add("room", entry("c1", "alice"), kTtl);
  store_->add("room", entry("c2", "bob"), kTtl);
  store_->remove("room", "c1");
  store_->remove("room", "nobody");
  store_->remove("no-such-room", "c2");
  EXPECT_EQ(members("room"), std::vector<PresenceEntry>{entry("c2", "bob")});
}

TEST_P(PresenceContract, EntriesExpireTtlAfterTheirLastAdd) {
  store_->add("room", entry("c1", "alice"), milliseconds(1000));
  store_->add("room", entry("c2", "bob"), milliseconds(1000));
  clock_.advance(milliseconds(500));
  store_->add("room", entry("c2", "bob"), milliseconds(1000));  // refreshed to t0 + 1500
  clock_.advance(milliseconds(499));                            // t0 + 999
  EXPECT_EQ(members("room").size(), 2u);
  clock_.advance(milliseconds(1));  // t0 + 1000: c1 expired
  EXPECT_EQ(members("room"), std::vector<PresenceEntry>{entry("c2", "bob")});
  clock_.advance(milliseconds(500));  // t0 + 1500: c2 expired
  EXPECT_TRUE(members("room").empty());
}

TEST_P(PresenceContract, UserIsOnlineWhileALiveEntryNamesThem) {
  EXPECT_FALSE(online("alice"));
  store_->add("a", entry("c1", "alice"), milliseconds(1000));
  store_->add("b", entry("c2", "alice"), milliseconds(2000));
  EXPECT_TRUE(online("alice"));
  EXPECT_FALSE(online("bob"));
  store_->remove("b", "c2");
  EXPECT_TRUE(online("alice"));  // still in "a"
  clock_.advance(milliseconds(1000));
  EXPECT_FALSE(online("alice"));  // the entry in "a" expired
}

TEST_P(PresenceContract, RemovingTheLastEntryTakesTheUserOffline) {
  store_->add("a", entry("c1", "alice"), kTtl);
  store_->remove("a", "c1");
  EXPECT_FALSE(online("alice"));
}

TEST_P(PresenceContract, UserStaysOnlineUntilTheLastOfSeveralEntriesGoes) {
  store_->add("a", entry("c1", "alice"), milliseconds(1000));
  store_->add("b", entry("c2", "alice"), milliseconds(5000));
  store_->add("c", entry("c3", "alice"), milliseconds(5000));
  clock_.advance(milliseconds(2000));  // "a" has expired, "b" and "c" live
  EXPECT_TRUE(online("alice"));
  store_->remove("b", "c2");
  EXPECT_TRUE(online("alice"));
  store_->remove("c", "c3");
  EXPECT_FALSE(online("alice"));  // only the expired entry is left
  // The same client in a channel it left and rejoined counts again.
  store_->add("b", entry("c2", "alice"), milliseconds(5000));
  EXPECT_TRUE(online("alice"));
}

TEST_P(PresenceContract, ClientChangingUserMovesTheOnlineStatus) {
  store_->add("a", entry("c1", "alice"), kTtl);
  store_->add("a", entry("c1", "bob"), kTtl);
  EXPECT_FALSE(online("alice"));
  EXPECT_TRUE(online("bob"));
}

TEST_P(PresenceContract, TouchUserKeepsAUserOnlineForTtl) {
  store_->touch_user("carol", milliseconds(1000));
  EXPECT_TRUE(online("carol"));
  clock_.advance(milliseconds(999));
  EXPECT_TRUE(online("carol"));
  store_->touch_user("carol", milliseconds(1000));  // refreshed to t0 + 1999
  clock_.advance(milliseconds(999));
  EXPECT_TRUE(online("carol"));
  clock_.advance(milliseconds(1));
  EXPECT_FALSE(online("carol"));
}

TEST_P(PresenceContract, AddAnswersTheOtherLiveEntriesOfTheUserInTheChannel) {
  EXPECT_EQ(add("room", entry("c1", "alice"), kTtl), 0u) << "alice's first entry";
  EXPECT_EQ(add("room", entry("c2", "alice", "n2"), kTtl), 1u) << "her second, on another node";
  EXPECT_EQ(add("room", entry("c3", "bob"), kTtl), 0u) << "users are counted apart";
  EXPECT_EQ(add("room", entry("c1", "alice"), kTtl), 1u) << "a refresh is not another entry";
  EXPECT_EQ(add("other", entry("c1", "alice"), kTtl), 0u) << "channels are counted apart";
}

TEST_P(PresenceContract, RemoveAnswersTheEntriesOfTheUserLeftInTheChannel) {
  add("room", entry("c1", "alice"), kTtl);
  add("room", entry("c2", "alice", "n2"), kTtl);
  add("room", entry("c3", "bob"), kTtl);
  add("other", entry("c4", "alice"), kTtl);
  EXPECT_EQ(remove("room", "c1"), 1u) << "c2 is left";
  EXPECT_EQ(remove("room", "c1"), 0u) << "removed already: unknown";
  EXPECT_EQ(remove("room", "nobody"), 0u);
  EXPECT_EQ(remove("no-such-room", "c2"), 0u);
  EXPECT_EQ(remove("room", "c2"), 0u) << "alice's last entry in the channel (not in \"other\")";
  EXPECT_EQ(remove("room", "c3"), 0u);
  // Counting starts again from nothing.
  EXPECT_EQ(add("room", entry("c1", "alice"), kTtl), 0u);
}

TEST_P(PresenceContract, ExpiredEntriesAreNotCounted) {
  EXPECT_EQ(add("room", entry("c1", "alice"), milliseconds(1000)), 0u);
  EXPECT_EQ(add("room", entry("c2", "alice"), milliseconds(5000)), 1u);
  clock_.advance(milliseconds(1000));  // c1 expired
  EXPECT_EQ(add("room", entry("c3", "alice"), milliseconds(5000)), 1u) << "c2 only";
  EXPECT_EQ(remove("room", "c1"), 0u) << "an expired client answers as an unknown one";
  EXPECT_EQ(remove("room", "c2"), 1u) << "c3 is left";
  clock_.advance(milliseconds(5000));  // c3 expired too
  EXPECT_EQ(add("room", entry("c4", "alice"), kTtl), 0u) << "the expired entries count for nothing";
  // An expired entry added again is live again, and counted once.
  EXPECT_EQ(add("room", entry("c3", "alice"), kTtl), 1u);
  EXPECT_EQ(remove("room", "c4"), 1u);
  EXPECT_EQ(remove("room", "c3"), 0u);
}

TEST_P(PresenceContract, AClientChangingUserIsCountedForTheNewUser) {
  add("room", entry("c1", "alice"), kTtl);
  add("room", entry("c2", "alice"), kTtl);
  EXPECT_EQ(add("room", entry("c1", "bob"), kTtl), 0u) << "bob's first entry";
  EXPECT_EQ(add("room", entry("c3", "alice"), kTtl), 1u) << "c1 no longer counts for alice";
  EXPECT_EQ(remove("room", "c1"), 0u) << "bob's last";
  EXPECT_EQ(remove("room", "c2"), 1u);
}

TEST_P(PresenceContract, ConcurrentAddsAndRemovesOfOneUserAnswerZeroExactlyOnce) {
  // Four threads (nodes) add clients of one user to one channel at once, then remove them at
  // once. Each answer is one atomic step: the adds' answers are 0, 1, ... in some order, so
  // exactly one thread saw the user's first entry, and of the removes exactly one the last.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  constexpr int kTotal = kThreads * kPerThread;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::size_t> answers;
  auto collect = [&](std::error_code ec, std::size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    std::lock_guard lock(mu);
    answers.push_back(n);
    cv.notify_all();
  };
  auto wait_for_all = [&] {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, kCallbackTimeout,
                            [&] { return answers.size() == static_cast<std::size_t>(kTotal); }));
    std::vector<std::size_t> sorted = answers;
    answers.clear();
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  };
  auto on_every_thread = [&](const std::function<void(const std::string& client)>& call) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) call("c" + std::to_string(t) + "-" + std::to_string(i));
      });
    }
    for (auto& th : threads) th.join();
  };
  std::vector<std::size_t> expected(kTotal);
  for (int i = 0; i < kTotal; ++i) expected[i] = static_cast<std::size_t>(i);

  on_every_thread([&](const std::string& client) {
    store_->add("room", entry(client, "alice"), kTtl, collect);
  });
  EXPECT_EQ(wait_for_all(), expected);
  on_every_thread([&](const std::string& client) { store_->remove("room", client, collect); });
  EXPECT_EQ(wait_for_all(), expected);
}

TEST_P(PresenceContract, ConcurrentAddsAndRemovesAddUp) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string client = "c" + std::to_string(t) + "-" + std::to_string(i);
        store_->add("room", entry(client, "u" + std::to_string(i)), kTtl);
        store_->add("own-" + std::to_string(t), entry(client, "u"), kTtl);
      }
      for (int i = 0; i < kPerThread; i += 2) {
        store_->remove("room", "c" + std::to_string(t) + "-" + std::to_string(i));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(members("room").size(), static_cast<std::size_t>(kThreads * kPerThread / 2));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(members("own-" + std::to_string(t)).size(), static_cast<std::size_t>(kPerThread));
  }
  EXPECT_TRUE(online("u1"));   // odd users kept their room entries
  EXPECT_FALSE(online("u0"));  // every entry of an even user was removed
  EXPECT_TRUE(online("u"));
}

}  // namespace switchboard::engine::contract
