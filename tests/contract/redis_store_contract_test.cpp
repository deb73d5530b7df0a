// The PresenceStore, NodeRegistry, OfflineStore and RateLimiter contract suites against the
// Redis engine (a private redis-server, a key prefix per store: redis_contract_support.hpp).
#include <gtest/gtest.h>

#include <memory>

#include "node_registry_contract.hpp"
#include "offline_contract.hpp"
#include "presence_contract.hpp"
#include "rate_limiter_contract.hpp"
#include "redis_contract_support.hpp"
#include "redis_node_registry.hpp"
#include "redis_offline_store.hpp"
#include "redis_presence.hpp"
#include "redis_rate_limiter.hpp"

namespace switchboard::engine::contract {
namespace {

// A store on a context of its own (fresh prefix), on the suite's clock. The store holds the
// only reference to its context: destroying the store stops the context.
template <class Store>
auto make_redis() {
  return [](NowFn now) {
    return std::make_unique<Store>(redis_support::make_context(std::move(now)));
  };
}

INSTANTIATE_TEST_SUITE_P(Redis, PresenceContract,
                         ::testing::Values(PresenceFactory{"Redis",
                                                           make_redis<redis::RedisPresence>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Redis, NodeRegistryContract,
                         ::testing::Values(NodeRegistryFactory{
                             "Redis", make_redis<redis::RedisNodeRegistry>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Redis, OfflineContract,
                         ::testing::Values(OfflineFactory{"Redis",
                                                          make_redis<redis::RedisOfflineStore>()}),
                         FactoryName{});
INSTANTIATE_TEST_SUITE_P(Redis, RateLimiterContract,
                         ::testing::Values(RateLimiterFactory{
                             "Redis", make_redis<redis::RedisRateLimiter>()}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
