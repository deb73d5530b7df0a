#pragma once
// The PresenceStore contract suite (include/switchboard/engine/presence_store.hpp). A backend
// instantiates it with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, PresenceContract,
//                            ::testing::Values(PresenceFactory{"Redis", make_redis_presence}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/presence_store.hpp"

namespace switchboard::engine::contract {

using PresenceFactory = StoreFactory<PresenceStore>;

class PresenceContract : public StoreContract<PresenceStore> {
 protected:
  // Members sorted by client id (the contract promises no order).
  std::vector<PresenceEntry> members(const std::string& channel) {
    auto list = await_ok<std::vector<PresenceEntry>>(
        [&](auto done) { store_->members(channel, std::move(done)); });
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.client_id < b.client_id; });
    return list;
  }
  bool online(const std::string& user) {
    return await_ok<bool>([&](auto done) { store_->user_online(user, std::move(done)); });
  }
};

}  // namespace switchboard::engine::contract
