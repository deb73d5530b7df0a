// MemoryBroker behaviour beyond the Broker contract: synchronous, copy-free delivery, errors
// before start and for unknown nodes, node ids, leaving the hub on destruction, and completions
// of keyed publishes outside the channel's lock.
#include "switchboard/engine/memory/memory_broker.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace switchboard::engine {
namespace {

class Recorder : public BrokerHandler {
 public:
  void on_publication(const PublicationPtr& p) override { publications.push_back(p); }
  void on_node_message(const PublicationPtr& p) override { node_messages.push_back(p); }
  std::vector<PublicationPtr> publications;
  std::vector<PublicationPtr> node_messages;
};

const HistoryOptions kNoHistory{0, std::chrono::minutes(1)};

PublicationPtr publication(std::string channel, std::string payload = "{}") {
  auto p = std::make_shared<Publication>();
  p->channel = std::move(channel);
  p->payload = std::move(payload);
  return p;
}

// Runs a call and returns the error its completion received (the memory broker completes
// before returning).
template <class Call>
std::error_code result_of(Call&& call) {
  std::error_code got = make_error_code(std::errc::operation_in_progress);
  call([&](std::error_code ec) { got = ec; });
  return got;
}

TEST(MemoryBroker, CallsBeforeStartFailWithNotStarted) {
  MemoryBroker broker;
  const auto p = publication("ch");
  const std::error_code not_started = EngineErrc::not_started;
  EXPECT_EQ(result_of([&](auto done) { broker.subscribe("ch", done); }), not_started);
  EXPECT_EQ(result_of([&](auto done) { broker.unsubscribe("ch", done); }), not_started);
  EXPECT_EQ(result_of([&](auto done) {
              broker.publish(*p, kNoHistory,
                             [done](std::error_code ec, PublicationPtr) { done(ec); });
            }),
            not_started);
  EXPECT_EQ(result_of([&](auto done) { broker.publish_to_node("x", p, done); }), not_started);
}

TEST(MemoryBroker, DeliversTheCompletedPublicationObjectBeforePublishReturns) {
  Recorder recorder;
  MemoryBroker broker;
  broker.start("n1", recorder);
  broker.subscribe("ch", nullptr);
  bool completed_after_delivery = false;
  PublicationPtr completed;
  broker.publish(*publication("ch"), kNoHistory, [&](std::error_code ec, PublicationPtr p) {
    EXPECT_FALSE(ec);
    completed_after_delivery = recorder.publications.size() == 1;
    completed = std::move(p);
  });
  EXPECT_TRUE(completed_after_delivery);
  ASSERT_EQ(recorder.publications.size(), 1u);
  EXPECT_EQ(recorder.publications[0].get(), completed.get());  // shared, not copied
}

TEST(MemoryBroker, WithHistoryEveryNodeGetsTheStoredCopyAndTheHubKeepsIt) {
  auto hub = std::make_shared<MemoryBrokerHub>();
  Recorder a_seen, b_seen;
  MemoryBroker a(hub), b(hub);
  a.start("a", a_seen);
  b.start("b", b_seen);
  a.subscribe("ch", nullptr);
  b.subscribe("ch", nullptr);
  const HistoryOptions keep{10, std::chrono::minutes(1)};
  PublicationPtr first, second;
  b.publish(*publication("ch", "1"), keep, [&](std::error_code, PublicationPtr p) { first = p; });
  a.publish(*publication("ch", "2"), keep, [&](std::error_code, PublicationPtr p) { second = p; });
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->offset, 1u);
  EXPECT_EQ(second->offset, 2u);
  EXPECT_EQ(first->epoch, second->epoch);
  for (const Recorder* seen : {&a_seen, &b_seen}) {
    ASSERT_EQ(seen->publications.size(), 2u);
    EXPECT_EQ(seen->publications[0], first);
    EXPECT_EQ(seen->publications[1], second);
  }
  // What the nodes read back is what they were delivered.
  HistoryResult read;
  hub->history().read("ch", std::nullopt, 10, [&](std::error_code, HistoryResult r) { read = r; });
  ASSERT_EQ(read.publications.size(), 2u);
  EXPECT_EQ(read.publications[1]->offset, 2u);
  EXPECT_EQ(read.position.offset, 2u);
}

TEST(MemoryBroker, PublishToAnUnknownNodeReportsIt) {
  Recorder recorder;
  MemoryBroker broker;
  broker.start("n1", recorder);
  const std::error_code unknown = EngineErrc::unknown_node;
  EXPECT_EQ(result_of([&](auto done) { broker.publish_to_node("n2", publication("c"), done); }),
            unknown);
  EXPECT_TRUE(recorder.node_messages.empty());
}

TEST(MemoryBroker, NodeIdsAreUniquePerHubAndFreedByDestruction) {
  auto hub = std::make_shared<MemoryBrokerHub>();
  Recorder r1, r2, r3;
  auto first = std::make_unique<MemoryBroker>(hub);
  first->start("n1", r1);
  MemoryBroker clash(hub);
  EXPECT_THROW(clash.start("n1", r2), std::invalid_argument);

  MemoryBroker other_hub;  // a private hub: the id is free there
  EXPECT_NO_THROW(other_hub.start("n1", r3));

  first->subscribe("a", nullptr);
  first->subscribe("b", nullptr);
  EXPECT_EQ(hub->channel_count(), 2u);
  first.reset();
  EXPECT_EQ(hub->channel_count(), 0u);  // its subscriptions left with it
  MemoryBroker again(hub);
  EXPECT_NO_THROW(again.start("n1", r2));
}

TEST(MemoryBroker, UnsubscribingTheLastNodeDropsTheChannel) {
  auto hub = std::make_shared<MemoryBrokerHub>();
  Recorder r1, r2;
  MemoryBroker a(hub), b(hub);
  a.start("a", r1);
  b.start("b", r2);
  a.subscribe("ch", nullptr);
  b.subscribe("ch", nullptr);
  a.unsubscribe("ch", nullptr);
  EXPECT_EQ(hub->channel_count(), 1u);
  b.unsubscribe("ch", nullptr);
  EXPECT_EQ(hub->channel_count(), 0u);
}

// A handler may call the broker from inside a delivery: no lock is held while it runs.
class Relay : public BrokerHandler {
 public:
  Broker* broker = nullptr;
  std::vector<std::string> seen;
  void on_publication(const PublicationPtr& p) override {
    seen.push_back(p->channel);
    if (p->channel == "ping") {
      broker->subscribe("late", nullptr);
      broker->publish(*publication("pong"), kNoHistory, nullptr);
    }
  }
  void on_node_message(const PublicationPtr&) override {}
};

TEST(MemoryBroker, HandlersMayCallTheBrokerAgain) {
  Relay relay;
  MemoryBroker broker;
  relay.broker = &broker;
  broker.start("n1", relay);
  broker.subscribe("ping", nullptr);
  broker.subscribe("pong", nullptr);
  broker.publish(*publication("ping"), kNoHistory, nullptr);
  broker.publish(*publication("late"), kNoHistory, nullptr);
  EXPECT_EQ(relay.seen, (std::vector<std::string>{"ping", "pong", "late"}));
}

TEST(MemoryBroker, AKeyedPublishCompletesOutsideTheChannelsLock) {
  // A completion may publish to the same channel again (an ingress retrying, the next message
  // of a batch): under the channel's stripe lock that would deadlock.
  MemoryBroker broker;
  Recorder node;
  broker.start("n1", node);
  ASSERT_FALSE(result_of([&](auto done) { broker.subscribe("ch", done); }));
  Publication p = *publication("ch", "1");
  p.idempotency_key = "k";
  p.dedupe_window = std::chrono::seconds(10);
  for (const HistoryOptions& history : {kNoHistory, HistoryOptions{10, std::chrono::minutes(1)}}) {
    int completions = 0;
    broker.publish(p, history, [&](std::error_code, PublicationPtr first) {
      ASSERT_FALSE(first->duplicate);
      broker.publish(p, history, [&](std::error_code, PublicationPtr again) {
        EXPECT_TRUE(again->duplicate);
        broker.publish(p, history, [&](std::error_code, PublicationPtr) { ++completions; });
      });
    });
    EXPECT_EQ(completions, 1);
    p.channel = "other";  // the second round's key is new
  }
}

}  // namespace
}  // namespace switchboard::engine
