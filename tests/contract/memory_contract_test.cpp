// Every engine contract suite, run against the memory engine. A new backend copies this file
// with its own factories (see docs/engine.md).
#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "broker_contract.hpp"
#include "history_contract.hpp"
#include "node_registry_contract.hpp"
#include "offline_contract.hpp"
#include "presence_contract.hpp"
#include "rate_limiter_contract.hpp"
#include "snapshot_contract.hpp"
#include "switchboard/engine/memory/memory_broker.hpp"
#include "switchboard/engine/memory/memory_history.hpp"
#include "switchboard/engine/memory/memory_node_registry.hpp"
#include "switchboard/engine/memory/memory_offline_store.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"
#include "switchboard/engine/memory/memory_snapshot_store.hpp"

namespace switchboard::engine::contract {
namespace {

// Each cluster is a hub of its own; every broker made for it is one node on that hub.
std::function<std::unique_ptr<Broker>()> memory_cluster(NowFn now) {
  auto hub = std::make_shared<MemoryBrokerHub>(std::move(now));
  return [hub]() -> std::unique_ptr<Broker> { return std::make_unique<MemoryBroker>(hub); };
}

template <class Store>
auto make_memory() {
  return [](NowFn now) { return std::make_unique<Store>(std::move(now)); };
}

INSTANTIATE_TEST_SUITE_P(Memory, BrokerContract,
                         ::testing::Values(BrokerFactory{"Memory", memory_cluster}), FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, HistoryContract,
                         ::testing::Values(HistoryFactory{"Memory", make_memory<MemoryHistory>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, PresenceContract,
                         ::testing::Values(PresenceFactory{"Memory",
                                                           make_memory<MemoryPresence>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, NodeRegistryContract,
                         ::testing::Values(NodeRegistryFactory{"Memory",
                                                               make_memory<MemoryNodeRegistry>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, RateLimiterContract,
                         ::testing::Values(RateLimiterFactory{"Memory",
                                                              make_memory<MemoryRateLimiter>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, OfflineContract,
                         ::testing::Values(OfflineFactory{"Memory",
                                                          make_memory<MemoryOfflineStore>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Memory, SnapshotContract,
                         ::testing::Values(SnapshotFactory{"Memory",
                                                           make_memory<MemorySnapshotStore>()}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
