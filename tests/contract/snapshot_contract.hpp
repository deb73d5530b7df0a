#pragma once
// The SnapshotStore contract suite (include/switchboard/engine/snapshot_store.hpp). A backend
// instantiates it with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, SnapshotContract,
//                            ::testing::Values(SnapshotFactory{"Redis", make_snapshots}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "contract_support.hpp"
#include "switchboard/engine/snapshot_store.hpp"

namespace switchboard::engine::contract {

using SnapshotFactory = StoreFactory<SnapshotStore>;

class SnapshotContract : public StoreContract<SnapshotStore> {
 protected:
  void set(const std::string& channel, std::string bytes,
           std::chrono::milliseconds ttl = std::chrono::hours(1)) {
    CompletionCheck check;
    store_->set(channel, std::move(bytes), ttl, check.callback());
    check.expect_succeeded();
  }
  std::optional<std::string> get(const std::string& channel) {
    return await_ok<std::optional<std::string>>(
        [&](auto done) { store_->get(channel, std::move(done)); });
  }
  void remove(const std::string& channel) {
    CompletionCheck check;
    store_->remove(channel, check.callback());
    check.expect_succeeded();
  }
};

}  // namespace switchboard::engine::contract
