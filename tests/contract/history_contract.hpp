#pragma once
// The HistoryStore contract suite (include/switchboard/engine/history_store.hpp). A backend
// runs it by instantiating it with its factory in its own test file:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, HistoryContract,
//                            ::testing::Values(HistoryFactory{"Redis", make_redis_history}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/history_store.hpp"

namespace switchboard::engine::contract {

using HistoryFactory = StoreFactory<HistoryStore>;

class HistoryContract : public StoreContract<HistoryStore> {
 protected:
  PublicationPtr append(const std::string& channel, const std::string& payload,
                        HistoryOptions options = {}) {
    return await_ok<PublicationPtr>([&](auto done) {
      store_->append(make_publication(channel, payload), options, std::move(done));
    });
  }
  HistoryResult read(const std::string& channel, std::optional<StreamPosition> since,
                     std::size_t limit = 100) {
    return await_ok<HistoryResult>(
        [&](auto done) { store_->read(channel, since, limit, std::move(done)); });
  }
};

}  // namespace switchboard::engine::contract
