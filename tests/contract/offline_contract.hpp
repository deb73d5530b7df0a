#pragma once
// The OfflineStore contract suite (include/switchboard/engine/offline_store.hpp). A backend
// instantiates it with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, OfflineContract,
//                            ::testing::Values(OfflineFactory{"Redis", make_offline}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/offline_store.hpp"

namespace switchboard::engine::contract {

using OfflineFactory = StoreFactory<OfflineStore>;

class OfflineContract : public StoreContract<OfflineStore> {
 protected:
  // Returns how many older messages were dropped.
  std::size_t push(const std::string& user, const std::string& payload, OfflineLimits limits = {}) {
    auto p = std::make_shared<Publication>(make_publication("user:" + user, payload));
    p->id = payload;
    p->requires_ack = true;
    return await_ok<std::size_t>(
        [&](auto done) { store_->push(user, std::move(p), limits, std::move(done)); });
  }
  // The payloads taken, oldest first.
  std::vector<std::string> take(const std::string& user) {
    const auto taken = await_ok<std::vector<PublicationPtr>>(
        [&](auto done) { store_->take(user, std::move(done)); });
    std::vector<std::string> payloads;
    for (const auto& p : taken) payloads.push_back(p->payload);
    return payloads;
  }
};

}  // namespace switchboard::engine::contract
