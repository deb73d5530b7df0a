// The NodeRegistry contract: every clause of node_registry.hpp, for any backend.
#include "node_registry_contract.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

using std::chrono::milliseconds;
using Nodes = std::vector<std::string>;
constexpr milliseconds kTtl{60'000};

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NodeRegistryContract);

TEST_P(NodeRegistryContract, MutationsCompleteOnceWithoutError) {
  CompletionCheck added, removed, removed_unknown;
  store_->add_connection("alice", {"n1", "c1"}, kTtl, kNoConnectionLimit,
                         added.result_callback<Admission>());
  store_->remove_connection("alice", {"n1", "c1"}, removed.callback());
  store_->remove_connection("nobody", {"n1", "c1"}, removed_unknown.callback());
  for (auto* check : {&added, &removed, &removed_unknown}) check->expect_succeeded();
}

TEST_P(NodeRegistryContract, ListsEachNodeHoldingAConnectionOnceAndCountsTheConnections) {
  EXPECT_TRUE(nodes_of("alice").empty());
  EXPECT_EQ(count("alice"), 0u);
  EXPECT_EQ(add("alice", "n1", "c1", kTtl), (Admission{true, 1}));
  EXPECT_EQ(add("alice", "n1", "c2", kTtl), (Admission{true, 2}));
  EXPECT_EQ(add("alice", "n2", "c3", kTtl), (Admission{true, 3}));
  EXPECT_EQ(add("alice", "n1", "c1", kTtl), (Admission{true, 3})) << "a refresh, not another one";
  add("bob", "n3", "c4", kTtl);
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"}));
  EXPECT_EQ(count("alice"), 3u);
  EXPECT_EQ(nodes_of("bob"), Nodes{"n3"});
  EXPECT_EQ(count("bob"), 1u);
}

TEST_P(NodeRegistryContract, ALeaseIsANodeAndAConnectionTogether) {
  add("alice", "n1", "c1", kTtl);
  add("alice", "n2", "c1", kTtl);  // the same id on another node: another connection
  EXPECT_EQ(count("alice"), 2u);
  remove("alice", "n1", "c1");
  EXPECT_EQ(nodes_of("alice"), Nodes{"n2"});
}

TEST_P(NodeRegistryContract, RemoveRemovesOnlyThatLease) {
  add("alice", "n1", "c1", kTtl);
  add("alice", "n1", "c2", kTtl);
  add("alice", "n2", "c3", kTtl);
  add("bob", "n1", "c4", kTtl);
  remove("alice", "n1", "c1");
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"})) << "c2 still holds n1";
  remove("alice", "n1", "c2");
  remove("alice", "n1", "c9");  // unknown: a no-op
  remove("nobody", "n1", "c1");
  EXPECT_EQ(nodes_of("alice"), Nodes{"n2"});
  EXPECT_EQ(count("alice"), 1u);
  EXPECT_EQ(nodes_of("bob"), Nodes{"n1"});
  remove("alice", "n2", "c3");
  EXPECT_TRUE(nodes_of("alice").empty());
  EXPECT_EQ(count("alice"), 0u);
}

TEST_P(NodeRegistryContract, LeasesExpireUnlessRefreshed) {
  add("alice", "n1", "c1", milliseconds(1000));
  add("alice", "n2", "c2", milliseconds(1000));
  clock_.advance(milliseconds(600));
  add("alice", "n2", "c2", milliseconds(1000));  // until t0 + 1600
  clock_.advance(milliseconds(399));             // t0 + 999
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"}));
  EXPECT_EQ(count("alice"), 2u);
  clock_.advance(milliseconds(1));  // t0 + 1000
  EXPECT_EQ(nodes_of("alice"), Nodes{"n2"});
  EXPECT_EQ(count("alice"), 1u);
  clock_.advance(milliseconds(600));  // t0 + 1600
  EXPECT_TRUE(nodes_of("alice").empty());
  EXPECT_EQ(count("alice"), 0u);
  EXPECT_EQ(add("alice", "n1", "c1", milliseconds(1000)), (Admission{true, 1}))
      << "adding again works";
  EXPECT_EQ(nodes_of("alice"), Nodes{"n1"});
}

TEST_P(NodeRegistryContract, AddRefusesAtTheLimitAndChangesNothing) {
  EXPECT_EQ(add("alice", "n1", "c1", kTtl, 2), (Admission{true, 1}));
  EXPECT_EQ(add("alice", "n2", "c2", kTtl, 2), (Admission{true, 2}));
  EXPECT_EQ(add("alice", "n3", "c3", kTtl, 2), (Admission{false, 2}));
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"})) << "the refused lease is not there";
  EXPECT_EQ(add("alice", "n1", "c1", kTtl, 2), (Admission{true, 2})) << "a live lease refreshes";
  EXPECT_EQ(add("alice", "n1", "c1", kTtl, 1), (Admission{true, 2}))
      << "even over a lower limit: it is counted already";
  EXPECT_EQ(add("bob", "n1", "c4", kTtl, 2), (Admission{true, 1})) << "users apart";
  remove("alice", "n2", "c2");
  EXPECT_EQ(add("alice", "n3", "c3", kTtl, 2), (Admission{true, 2})) << "room again";
  EXPECT_EQ(add("alice", "n3", "c5", kTtl, kNoConnectionLimit), (Admission{true, 3})) << "no limit";
  EXPECT_EQ(add("carol", "n1", "c6", kTtl, 0), (Admission{false, 0}));
  EXPECT_EQ(count("carol"), 0u);
}

TEST_P(NodeRegistryContract, ExpiredLeasesDoNotCountAgainstTheLimit) {
  add("alice", "n1", "c1", milliseconds(1000), 2);
  add("alice", "n2", "c2", milliseconds(5000), 2);
  EXPECT_EQ(add("alice", "n3", "c3", kTtl, 2), (Admission{false, 2}));
  clock_.advance(milliseconds(1000));  // c1 expired: its node died without removing it
  EXPECT_EQ(add("alice", "n3", "c3", kTtl, 2), (Admission{true, 2}));
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n2", "n3"}));
}

TEST_P(NodeRegistryContract, ConcurrentAddsOfOneUserNeverPassTheLimit) {
  // Four threads (nodes) admit connections of one user at once, more than the limit: exactly
  // `limit` are admitted, whatever the interleaving, and the refused ones left no lease.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20;
  constexpr std::size_t kLimit = 30;
  std::mutex mu;
  std::condition_variable cv;
  std::size_t answered = 0;
  std::size_t admitted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store_->add_connection("alice", {"n" + std::to_string(t), "c" + std::to_string(i)}, kTtl,
                               kLimit, [&](std::error_code ec, Admission a) {
                                 EXPECT_FALSE(ec) << ec.message();
                                 EXPECT_LE(a.connections, kLimit);
                                 std::lock_guard lock(mu);
                                 ++answered;
                                 if (a.admitted) ++admitted;
                                 cv.notify_all();
                               });
      }
    });
  }
  for (auto& th : threads) th.join();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kCallbackTimeout,
                            [&] { return answered == std::size_t{kThreads * kPerThread}; }));
    EXPECT_EQ(admitted, kLimit);
  }
  EXPECT_EQ(count("alice"), kLimit);
}

TEST_P(NodeRegistryContract, ConcurrentAddsAndRemovesAddUp) {
  constexpr int kThreads = 4;
  constexpr int kUsers = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string node = "n" + std::to_string(t);
      for (int u = 0; u < kUsers; ++u) {
        store_->add_connection("u" + std::to_string(u), {node, "c" + std::to_string(u)}, kTtl,
                               kNoConnectionLimit);
      }
      store_->remove_connection("u0", {node, "c0"});
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(nodes_of("u1"), (Nodes{"n0", "n1", "n2", "n3"}));
  EXPECT_EQ(count("u1"), 4u);
  EXPECT_EQ(nodes_of("u" + std::to_string(kUsers - 1)), (Nodes{"n0", "n1", "n2", "n3"}));
  EXPECT_TRUE(nodes_of("u0").empty());
}

}  // namespace switchboard::engine::contract
