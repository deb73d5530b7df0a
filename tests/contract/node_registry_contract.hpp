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
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/node_registry.hpp"

namespace switchboard::engine {

inline void PrintTo(const Admission& a, std::ostream* os) {
  *os << "{admitted " << a.admitted << ", connections " << a.connections << "}";
}

namespace contract {

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
  std::size_t count(const std::string& user) {
    return await_ok<std::size_t>(
        [&](auto done) { store_->connection_count(user, std::move(done)); });
  }
  // add_connection() of `node`'s `connection`, and its answer.
  Admission add(const std::string& user, const std::string& node, const std::string& connection,
                std::chrono::milliseconds ttl, std::size_t limit = kNoConnectionLimit) {
    return await_ok<Admission>([&](auto done) {
      store_->add_connection(user, {node, connection}, ttl, limit, std::move(done));
    });
  }
  void remove(const std::string& user, const std::string& node, const std::string& connection) {
    CompletionCheck removed;
    store_->remove_connection(user, {node, connection}, removed.callback());
    removed.expect_succeeded();
  }
};

}  // namespace contract
}  // namespace switchboard::engine
