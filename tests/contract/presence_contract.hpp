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
#include <chrono>
#include <cstddef>
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
  // add() and remove() with their answers (the counts of the user's other live entries).
  std::size_t add(const std::string& channel, PresenceEntry entry, std::chrono::milliseconds ttl) {
    return await_ok<std::size_t>(
        [&](auto done) { store_->add(channel, std::move(entry), ttl, std::move(done)); });
  }
  std::size_t remove(const std::string& channel, const std::string& client) {
    return await_ok<std::size_t>(
        [&](auto done) { store_->remove(channel, client, std::move(done)); });
  }
  bool online(const std::string& user) {
    return await_ok<bool>([&](auto done) { store_->user_online(user, std::move(done)); });
  }
};

}  // namespace switchboard::engine::contract
