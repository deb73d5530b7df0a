#pragma once
// The NodeRegistry contract suite (include/switchboard/engine/node_registry.hpp). A backend
// instantiates it with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, NodeRegistryContract,
//                            ::testing::Values(NodeRegistryFactory{"Redis", make_registry}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/node_registry.hpp"

namespace switchboard::engine::contract {

using NodeRegistryFactory = StoreFactory<NodeRegistry>;

class NodeRegistryContract : public StoreContract<NodeRegistry> {
 protected:
  // Sorted (the contract promises no order).
  std::vector<std::string> nodes_of(const std::string& user) {
    auto nodes = await_ok<std::vector<std::string>>(
        [&](auto done) { store_->nodes_of(user, std::move(done)); });
    std::sort(nodes.begin(), nodes.end());
    return nodes;
  }
};

}  // namespace switchboard::engine::contract
