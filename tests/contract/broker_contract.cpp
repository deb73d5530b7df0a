// The Broker contract: every clause of broker.hpp, for any backend.
#include "broker_contract.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::engine::contract {
namespace {

std::vector<std::string> payloads(const std::vector<PublicationPtr>& list) {
  std::vector<std::string> out;
  for (const auto& p : list) out.push_back(p->payload);
  return out;
}

using Payloads = std::vector<std::string>;

constexpr std::chrono::seconds kWindow{10};

// A publication with an idempotency key, kept for kWindow.
Publication keyed(const std::string& channel, const std::string& payload, const std::string& key) {
  Publication p = make_publication(channel, payload);
  p.idempotency_key = key;
  p.dedupe_window = kWindow;
  return p;
}

// What a publish that must succeed completed with (a failure, and null, otherwise).
PublicationPtr succeeded(const std::pair<std::error_code, PublicationPtr>& result) {
  EXPECT_FALSE(result.first) << result.first.message();
  EXPECT_TRUE(result.second);
  return result.second;
}

// The Redis contexts of a cluster read one manual clock but anchor it to the wall clock when
// each is made (redis_context.hpp), so their idea of "now" differs by the milliseconds between
// those moments: the tests stay a second or more away from a window's end.
constexpr std::chrono::seconds kClockMargin{1};

}  // namespace

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BrokerContract);

TEST_P(BrokerContract, PublishReachesEachSubscribedNodeOnceThePublisherIncluded) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  Node& c = add_node("c");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));

  EXPECT_FALSE(publish(c, "ch", "from-c"));
  EXPECT_FALSE(publish(a, "ch", "from-a"));
  ASSERT_TRUE(a.handler.wait_publications(2));
  ASSERT_TRUE(b.handler.wait_publications(2));
  settle();
  EXPECT_EQ(payloads(a.handler.publications()), (Payloads{"from-c", "from-a"}));
  EXPECT_EQ(payloads(b.handler.publications()), (Payloads{"from-c", "from-a"}));
  EXPECT_TRUE(c.handler.publications().empty());
  EXPECT_TRUE(a.handler.node_messages().empty());
}

TEST_P(BrokerContract, SubscriptionsAreASetNotACount) {
  Node& a = add_node("a");
  Node& witness = add_node("w");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(witness, "ch"));
  ASSERT_FALSE(publish(witness, "ch", "1"));
  ASSERT_TRUE(witness.handler.wait_publications(1));
  ASSERT_TRUE(a.handler.wait_publications(1));

  ASSERT_FALSE(unsubscribe(a, "ch"));  // one unsubscribe ends both subscribes
  ASSERT_FALSE(publish(witness, "ch", "2"));
  ASSERT_TRUE(witness.handler.wait_publications(2));
  settle();
  EXPECT_EQ(payloads(a.handler.publications()), Payloads{"1"});
}

TEST_P(BrokerContract, NodesReceiveOnlyTheChannelsTheySubscribed) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "x"));
  ASSERT_FALSE(subscribe(b, "y"));
  ASSERT_FALSE(publish(a, "y", "to-y"));
  ASSERT_FALSE(publish(b, "x", "to-x"));
  ASSERT_FALSE(publish(a, "z", "to-nobody"));  // no subscriber: not an error
  ASSERT_TRUE(a.handler.wait_publications(1));
  ASSERT_TRUE(b.handler.wait_publications(1));
  settle();
  EXPECT_EQ(payloads(a.handler.publications()), Payloads{"to-x"});
  EXPECT_EQ(payloads(b.handler.publications()), Payloads{"to-y"});
}

TEST_P(BrokerContract, UnsubscribeStopsDeliveries) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  ASSERT_FALSE(publish(b, "ch", "before"));
  ASSERT_TRUE(a.handler.wait_publications(1));
  ASSERT_FALSE(unsubscribe(a, "ch"));
  ASSERT_FALSE(unsubscribe(a, "never-subscribed"));  // a no-op, not an error
  ASSERT_FALSE(publish(b, "ch", "after"));
  ASSERT_TRUE(b.handler.wait_publications(2));
  settle();
  EXPECT_EQ(payloads(a.handler.publications()), Payloads{"before"});
}

TEST_P(BrokerContract, DeliveriesKeepPublishOrder) {
  constexpr int kCount = 200;
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  Payloads sent;
  for (int i = 0; i < kCount; ++i) {
    sent.push_back(std::to_string(i));
    ASSERT_FALSE(publish(b, "ch", sent.back()));
  }
  ASSERT_TRUE(a.handler.wait_publications(kCount));
  ASSERT_TRUE(b.handler.wait_publications(kCount));
  EXPECT_EQ(payloads(a.handler.publications()), sent);
  EXPECT_EQ(payloads(b.handler.publications()), sent);
}

TEST_P(BrokerContract, PublicationsArriveIntact) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "room:7"));
  auto sent = std::make_shared<Publication>(make_publication(
      "room:7", R"({"text":"h\u00e9llo \"you\"","n":[1,2.5,null]})", "BoardUpdate"));
  sent->id = "m-1";
  sent->requires_ack = true;
  sent->offset = 42;
  sent->epoch = "abcd1234";
  sent->publisher_user = "alice";
  ASSERT_FALSE(publish_with(b, *sent, kNoHistory).first);
  ASSERT_TRUE(a.handler.wait_publications(1));
  const Publication& got = *a.handler.publications().at(0);
  EXPECT_EQ(got.channel, sent->channel);
  EXPECT_EQ(got.type, sent->type);
  EXPECT_EQ(got.payload, sent->payload);
  EXPECT_EQ(got.id, sent->id);
  EXPECT_EQ(got.requires_ack, sent->requires_ack);
  EXPECT_EQ(got.offset, sent->offset);
  EXPECT_EQ(got.epoch, sent->epoch);
  EXPECT_EQ(got.publisher_user, sent->publisher_user);
}

TEST_P(BrokerContract, PublishToNodeReachesExactlyThatNode) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  Node& c = add_node("c");
  ASSERT_FALSE(subscribe(a, "user:7"));  // subscriptions play no part in node messages
  auto p = std::make_shared<const Publication>(make_publication("user:7", "direct"));
  ASSERT_FALSE(await_value<std::error_code>(
      [&](auto done) { c.broker->publish_to_node("b", p, std::move(done)); }));
  ASSERT_TRUE(b.handler.wait_node_messages(1));
  settle();
  EXPECT_EQ(payloads(b.handler.node_messages()), Payloads{"direct"});
  EXPECT_TRUE(b.handler.publications().empty());
  EXPECT_TRUE(a.handler.node_messages().empty());
  EXPECT_TRUE(a.handler.publications().empty());
  EXPECT_TRUE(c.handler.node_messages().empty());

  // A node may address itself (send-to-user where the user is local and remote).
  ASSERT_FALSE(await_value<std::error_code>(
      [&](auto done) { c.broker->publish_to_node("c", p, std::move(done)); }));
  EXPECT_TRUE(c.handler.wait_node_messages(1));
}

TEST_P(BrokerContract, EveryCompletionRunsExactlyOnce) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  auto p = std::make_shared<const Publication>(make_publication("ch", "x"));
  std::vector<Captured<std::error_code>> calls(5);
  auto publish_completion = [](Captured<std::error_code>& c) {
    return [done = c.callback()](std::error_code ec, PublicationPtr) { done(ec); };
  };
  a.broker->subscribe("ch", calls[0].callback());
  ASSERT_FALSE(calls[0].wait());  // deliveries start once subscribe completed
  b.broker->publish(*p, kNoHistory, publish_completion(calls[1]));
  b.broker->publish_to_node("a", p, calls[2].callback());
  a.broker->unsubscribe("ch", calls[3].callback());
  a.broker->publish(*p, kNoHistory, publish_completion(calls[4]));
  for (auto& c : calls) EXPECT_FALSE(c.wait());
  settle();
  for (auto& c : calls) EXPECT_EQ(c.calls(), 1);
  // Empty completions are allowed.
  a.broker->publish(*p, kNoHistory, nullptr);
}

TEST_P(BrokerContract, WithHistoryTheStoredCopyIsWhatEveryNodeReceives) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  const HistoryOptions keep{10, std::chrono::minutes(1)};
  const auto [ec1, first] = publish_with(b, make_publication("ch", "1"), keep);
  const auto [ec2, second] = publish_with(a, make_publication("ch", "2"), keep);
  ASSERT_FALSE(ec1);
  ASSERT_FALSE(ec2);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->offset, 1u);
  EXPECT_EQ(second->offset, 2u);
  EXPECT_FALSE(first->epoch.empty());
  EXPECT_EQ(first->epoch, second->epoch);
  for (Node* node : {&a, &b}) {
    ASSERT_TRUE(node->handler.wait_publications(2));
    const auto got = node->handler.publications();
    EXPECT_EQ(got[0]->offset, 1u);
    EXPECT_EQ(got[1]->offset, 2u);
    EXPECT_EQ(got[1]->payload, "2");
  }
}

TEST_P(BrokerContract, ConcurrentPublishersWithHistoryArriveInOffsetOrderEverywhere) {
  // Sessions drop what a replay already sent by offset: every node must see a channel's
  // offsets rising, whoever published them.
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  const HistoryOptions keep{1000, std::chrono::minutes(1)};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Node& sender = t % 2 == 0 ? a : b;
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_FALSE(publish_with(sender, make_publication("ch", std::to_string(i)), keep).first);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (Node* node : {&a, &b}) {
    ASSERT_TRUE(node->handler.wait_publications(kThreads * kPerThread));
    const auto got = node->handler.publications();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]->offset, i + 1) << node->id;
  }
}

TEST_P(BrokerContract, ConcurrentPublishersAllArriveInEachPublishersOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  Node& a = add_node("a");
  Node& b = add_node("b");
  Node& publisher = add_node("p");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Two threads share the publisher broker, two use a subscribed node's broker.
    Node& via = t % 2 == 0 ? publisher : (t == 1 ? a : b);
    threads.emplace_back([&, t, sender = &via] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_FALSE(publish(*sender, "ch", std::to_string(t) + ":" + std::to_string(i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (Node* node : {&a, &b}) {
    ASSERT_TRUE(node->handler.wait_publications(kThreads * kPerThread));
    settle();
    SCOPED_TRACE("node " + node->id);
    expect_each_sender_in_order(payloads(node->handler.publications()), kThreads, kPerThread);
  }
}

// --- Idempotency keys --------------------------------------------------------------------

TEST_P(BrokerContract, SameKeyWithinTheWindowIsStoredAndDeliveredOnce) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "ch"));
  ASSERT_FALSE(subscribe(b, "ch"));
  // Every node of a cluster publishes what a Pub/Sub ingress gave them all: the first wins.
  const PublicationPtr first = succeeded(publish_with(a, keyed("ch", "one", "k1"), kKeep));
  clock_.advance(kWindow - kClockMargin);
  const PublicationPtr again =
      succeeded(publish_with(b, keyed("ch", "one (b's copy)", "k1"), kKeep));
  ASSERT_TRUE(first && again);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->offset, 1u);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ((StreamPosition{again->offset, again->epoch}),
            (StreamPosition{first->offset, first->epoch}));
  EXPECT_EQ(again->payload, "one (b's copy)");  // the caller's own copy, at the first's position

  // One offset was taken: the next publication is the second.
  const PublicationPtr next = succeeded(publish_with(b, make_publication("ch", "two"), kKeep));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->offset, 2u);
  for (Node* node : {&a, &b}) {
    EXPECT_EQ(settled_payloads(*node, 2), (Payloads{"one", "two"})) << node->id;
    for (const auto& p : node->handler.publications()) EXPECT_FALSE(p->duplicate);
  }
}

TEST_P(BrokerContract, SameKeyWithoutHistoryIsDeliveredOnce) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(subscribe(a, "$broadcast"));
  Publication given = keyed("$broadcast", "hello", "k1");
  given.offset = 7;  // delivered as given, and the duplicate points there
  given.epoch = "e0";
  const PublicationPtr first = succeeded(publish_with(a, given, kNoHistory));
  const PublicationPtr again = succeeded(publish_with(b, given, kNoHistory));
  ASSERT_TRUE(first && again);
  EXPECT_FALSE(first->duplicate);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ((StreamPosition{again->offset, again->epoch}), (StreamPosition{7, "e0"}));
  ASSERT_FALSE(publish(b, "$broadcast", "witness"));
  EXPECT_EQ(settled_payloads(a, 2), (Payloads{"hello", "witness"}));
}

TEST_P(BrokerContract, AfterTheWindowTheSameKeyPublishesAgain) {
  Node& a = add_node("a");
  ASSERT_FALSE(subscribe(a, "ch"));
  for (const HistoryOptions& history : {kKeep, kNoHistory}) {
    const std::string key = history.size > 0 ? "with-history" : "without";
    const PublicationPtr first = succeeded(publish_with(a, keyed("ch", key + "-1", key), history));
    clock_.advance(kWindow + kClockMargin);
    const PublicationPtr later = succeeded(publish_with(a, keyed("ch", key + "-2", key), history));
    ASSERT_TRUE(first && later);
    EXPECT_FALSE(later->duplicate) << key;
    if (history.size > 0) {
      EXPECT_EQ(later->offset, first->offset + 1);
    }
  }
  EXPECT_EQ(settled_payloads(a, 4),
            (Payloads{"with-history-1", "with-history-2", "without-1", "without-2"}));
}

TEST_P(BrokerContract, IdempotencyKeysArePerChannel) {
  Node& a = add_node("a");
  ASSERT_FALSE(subscribe(a, "a:b"));
  ASSERT_FALSE(subscribe(a, "a"));
  // "a:b" + "c" and "a" + "b:c" are different keys, though their texts join alike.
  // The same key on another channel is another message.
  const PublicationPtr one = succeeded(publish_with(a, keyed("a:b", "1", "c"), kNoHistory));
  const PublicationPtr two = succeeded(publish_with(a, keyed("a", "2", "b:c"), kNoHistory));
  const PublicationPtr three = succeeded(publish_with(a, keyed("a", "3", "c"), kNoHistory));
  ASSERT_TRUE(one && two && three);
  EXPECT_FALSE(one->duplicate);
  EXPECT_FALSE(two->duplicate);
  EXPECT_FALSE(three->duplicate);
  EXPECT_EQ(settled_payloads(a, 3), (Payloads{"1", "2", "3"}));
}

TEST_P(BrokerContract, AFailedPublishLeavesItsKeyFree) {
  Node& a = add_node("a");
  ASSERT_FALSE(subscribe(a, "ch"));
  // A broker not started fails every publish (not_started) before touching the backend.
  std::unique_ptr<Broker> idle = make_broker_();
  const auto failed = await_value<std::error_code>([&](auto done) {
    idle->publish(keyed("ch", "lost", "k1"), kKeep,
                  [done](std::error_code ec, PublicationPtr) { done(ec); });
  });
  EXPECT_EQ(failed, EngineErrc::not_started);
  const PublicationPtr published =
      succeeded(publish_with(a, keyed("ch", "kept", "k1"), kNoHistory));
  ASSERT_TRUE(published);
  EXPECT_FALSE(published->duplicate);
  ASSERT_TRUE(a.handler.wait_publications(1));
}

TEST_P(BrokerContract, ConcurrentPublishesOfOneKeyHaveOneWinner) {
  // Every node of a cluster publishes every message of a Pub/Sub ingress at about the same
  // time: for each key exactly one publish is stored and delivered.
  constexpr int kNodes = 3;
  constexpr int kKeys = 50;
  Node& witness = add_node("w");
  ASSERT_FALSE(subscribe(witness, "ch"));
  std::vector<Node*> publishers;
  for (int n = 0; n < kNodes; ++n) publishers.push_back(&add_node("p" + std::to_string(n)));
  std::atomic<int> winners{0};
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (Node* node : publishers) {
    threads.emplace_back([&, node] {
      for (int k = 0; k < kKeys; ++k) {
        const std::string key = "k" + std::to_string(k);
        const PublicationPtr p = succeeded(publish_with(*node, keyed("ch", key, key), kKeep));
        if (!p) continue;
        (p->duplicate ? duplicates : winners)++;
        EXPECT_EQ(p->offset, static_cast<std::uint64_t>(k + 1)) << key;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(winners.load(), kKeys);
  EXPECT_EQ(duplicates.load(), (kNodes - 1) * kKeys);
  Payloads keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("k" + std::to_string(k));
  EXPECT_EQ(settled_payloads(witness, kKeys), keys);
}

}  // namespace switchboard::engine::contract
