// The NodeRegistry contract: every clause of node_registry.hpp, for any backend.
#include "node_registry_contract.hpp"

#include <chrono>
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
  CompletionCheck registered, unregistered, unregistered_unknown;
  store_->register_user("alice", "n1", kTtl, registered.callback());
  store_->unregister_user("alice", "n1", unregistered.callback());
  store_->unregister_user("nobody", "n1", unregistered_unknown.callback());
  for (auto* check : {&registered, &unregistered, &unregistered_unknown}) {
    check->expect_succeeded();
  }
}

TEST_P(NodeRegistryContract, ListsEachRegisteredNodeOnce) {
  EXPECT_TRUE(nodes_of("alice").empty());
  store_->register_user("alice", "n1", kTtl);
  store_->register_user("alice", "n2", kTtl);
  store_->register_user("alice", "n1", kTtl);  // a refresh, not a second entry
  store_->register_user("bob", "n3", kTtl);
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"}));
  EXPECT_EQ(nodes_of("bob"), Nodes{"n3"});
}

TEST_P(NodeRegistryContract, UnregisterRemovesOnlyThatPair) {
  store_->register_user("alice", "n1", kTtl);
  store_->register_user("alice", "n2", kTtl);
  store_->register_user("bob", "n1", kTtl);
  store_->unregister_user("alice", "n1");
  store_->unregister_user("alice", "n9");  // unknown: a no-op
  store_->unregister_user("nobody", "n1");
  EXPECT_EQ(nodes_of("alice"), Nodes{"n2"});
  EXPECT_EQ(nodes_of("bob"), Nodes{"n1"});
  store_->unregister_user("alice", "n2");
  EXPECT_TRUE(nodes_of("alice").empty());
}

TEST_P(NodeRegistryContract, PairsExpireUnlessRefreshed) {
  store_->register_user("alice", "n1", milliseconds(1000));
  store_->register_user("alice", "n2", milliseconds(1000));
  clock_.advance(milliseconds(600));
  store_->register_user("alice", "n2", milliseconds(1000));  // until t0 + 1600
  clock_.advance(milliseconds(399));                         // t0 + 999
  EXPECT_EQ(nodes_of("alice"), (Nodes{"n1", "n2"}));
  clock_.advance(milliseconds(1));  // t0 + 1000
  EXPECT_EQ(nodes_of("alice"), Nodes{"n2"});
  clock_.advance(milliseconds(600));  // t0 + 1600
  EXPECT_TRUE(nodes_of("alice").empty());
  store_->register_user("alice", "n1", milliseconds(1000));  // registering again works
  EXPECT_EQ(nodes_of("alice"), Nodes{"n1"});
}

TEST_P(NodeRegistryContract, ConcurrentRegistrationsAddUp) {
  constexpr int kThreads = 4;
  constexpr int kUsers = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int u = 0; u < kUsers; ++u) {
        store_->register_user("u" + std::to_string(u), "n" + std::to_string(t), kTtl);
      }
      store_->unregister_user("u0", "n" + std::to_string(t));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(nodes_of("u1"), (Nodes{"n0", "n1", "n2", "n3"}));
  EXPECT_EQ(nodes_of("u" + std::to_string(kUsers - 1)), (Nodes{"n0", "n1", "n2", "n3"}));
  EXPECT_TRUE(nodes_of("u0").empty());
}

}  // namespace switchboard::engine::contract
