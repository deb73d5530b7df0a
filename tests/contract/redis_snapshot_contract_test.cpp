// The SnapshotStore contract suite against the Redis engine (a private redis-server, a key
// prefix per store: redis_contract_support.hpp).
#include <gtest/gtest.h>

#include "redis_contract_support.hpp"
#include "redis_snapshot_store.hpp"
#include "snapshot_contract.hpp"

namespace switchboard::engine::contract {
namespace {

std::unique_ptr<SnapshotStore> make_redis_snapshots(NowFn now) {
  return std::make_unique<redis::RedisSnapshotStore>(redis_support::make_context(std::move(now)));
}

INSTANTIATE_TEST_SUITE_P(Redis, SnapshotContract,
                         ::testing::Values(SnapshotFactory{"Redis", make_redis_snapshots}),
                         FactoryName{});

}  // namespace
}  // namespace switchboard::engine::contract
