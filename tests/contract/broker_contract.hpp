#pragma once
// The Broker contract suite (include/switchboard/engine/broker.hpp). A backend instantiates it
// with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, BrokerContract,
//                            ::testing::Values(BrokerFactory{"Redis", redis_cluster, 50ms}),
//                            FactoryName{});
//
// `cluster(now)` starts an isolated cluster (a test's own hub, key prefix or server) on the
// suite's clock `now` (a ManualClock: the dedupe windows expire when a test advances it) and
// returns a function making one more broker in it — one node; the suite starts each with its
// own id.
// Deliveries may arrive on any thread: the suite waits for them. To conclude that something
// did NOT arrive, it waits `settle` first (0 for a backend that delivers before publish()
// returns; a network backend sets its delivery latency bound).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "contract_support.hpp"
#include "switchboard/engine/broker.hpp"
#include "switchboard/engine/clock.hpp"

namespace switchboard::engine::contract {

struct BrokerFactory {
  std::string name;
  std::function<std::function<std::unique_ptr<Broker>()>(NowFn)> cluster;
  std::chrono::milliseconds settle{0};
};
inline void PrintTo(const BrokerFactory& f, std::ostream* os) {
  *os << f.name;
}

// Records what a node receives, from whichever thread delivers it.
class RecordingHandler final : public BrokerHandler {
 public:
  void on_publication(const PublicationPtr& p) override { record(publications_, p); }
  void on_node_message(const PublicationPtr& p) override { record(node_messages_, p); }

  // Wait until at least `n` arrived; false after kCallbackTimeout.
  bool wait_publications(std::size_t n) { return wait(publications_, n); }
  bool wait_node_messages(std::size_t n) { return wait(node_messages_, n); }

  std::vector<PublicationPtr> publications() const { return snapshot(publications_); }
  std::vector<PublicationPtr> node_messages() const { return snapshot(node_messages_); }

 private:
  void record(std::vector<PublicationPtr>& into, const PublicationPtr& p) {
    std::lock_guard lock(mu_);
    into.push_back(p);
    cv_.notify_all();
  }
  bool wait(const std::vector<PublicationPtr>& list, std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kCallbackTimeout, [&] { return list.size() >= n; });
  }
  std::vector<PublicationPtr> snapshot(const std::vector<PublicationPtr>& list) const {
    std::lock_guard lock(mu_);
    return list;
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PublicationPtr> publications_;
  std::vector<PublicationPtr> node_messages_;
};

class BrokerContract : public ::testing::TestWithParam<BrokerFactory> {
 protected:
  struct Node {
    std::string id;
    RecordingHandler handler;  // declared before the broker: outlives it
    std::unique_ptr<Broker> broker;
  };

  void SetUp() override { make_broker_ = GetParam().cluster(clock_.fn()); }
  void TearDown() override { nodes_.clear(); }

  Node& add_node(std::string id) {
    auto& node = *nodes_.emplace_back(std::make_unique<Node>());
    node.id = std::move(id);
    node.broker = make_broker_();
    node.broker->start(node.id, node.handler);
    return node;
  }

  static std::error_code subscribe(Node& node, const std::string& channel) {
    return await_value<std::error_code>(
        [&](auto done) { node.broker->subscribe(channel, std::move(done)); });
  }
  static std::error_code unsubscribe(Node& node, const std::string& channel) {
    return await_value<std::error_code>(
        [&](auto done) { node.broker->unsubscribe(channel, std::move(done)); });
  }
  // Without history (the stream is the history contract's): the broker's own delivery.
  static std::error_code publish(Node& node, const std::string& channel,
                                 const std::string& payload) {
    return publish_with(node, make_publication(channel, payload), kNoHistory).first;
  }
  static std::pair<std::error_code, PublicationPtr> publish_with(Node& node, Publication p,
                                                                 const HistoryOptions& history) {
    return await_value<std::pair<std::error_code, PublicationPtr>>([&](auto done) {
      node.broker->publish(std::move(p), history, [done](std::error_code ec, PublicationPtr stored) {
        done({ec, std::move(stored)});
      });
    });
  }
  static inline const HistoryOptions kNoHistory{0, std::chrono::minutes(1)};
  static inline const HistoryOptions kKeep{10, std::chrono::minutes(1)};

  // Gives in-flight deliveries time to land before asserting that something did not arrive.
  void settle() const {
    if (GetParam().settle.count() > 0) std::this_thread::sleep_for(GetParam().settle);
  }

  // The payloads `node` received, in order, once `n` arrived and any stray one had time to
  // (settle()); fails the test when fewer than `n` arrive.
  std::vector<std::string> settled_payloads(Node& node, std::size_t n) const {
    EXPECT_TRUE(node.handler.wait_publications(n)) << node.id;
    settle();
    std::vector<std::string> out;
    for (const auto& p : node.handler.publications()) out.push_back(p->payload);
    return out;
  }

  ManualClock clock_;  // first: the brokers made below read it until they are gone
  std::function<std::unique_ptr<Broker>()> make_broker_;
  std::deque<std::unique_ptr<Node>> nodes_;
};

}  // namespace switchboard::engine::contract
