// The RabbitMQ BrokerTransport (rabbitmq_transport.hpp) against the binary's private RabbitMQ
// node (RabbitMqServerProcess::shared()): two transports — two node ids — per test, each test
// with a prefix (exchange and queues) of its own. What is sent reaches the subscribed nodes
// and not the others (a later message on a channel both receive proves the absence, rather
// than a sleep); subscriptions are a set; channel names are exact routing keys (`.`, `*`, `#`,
// and a name past the 255-byte key limit); send_to_node reaches that node only, an unknown
// node is unknown_node; one node id cannot run twice; one sender's 1,000 messages arrive in
// order; after RabbitMQ closes every connection (or deletes the node queue) each transport
// reconnects, binds its channels again and reports each through on_subscription_restored;
// while the server is down (stopped, or never there) subscribe and send fail at once with
// unavailable, a transport started then connects once it is back.
#include "switchboard/engine/rabbitmq/rabbitmq_transport.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>

#include "rabbitmq_server_process.hpp"
#include "server_process.hpp"
#include "wait_until.hpp"

namespace switchboard::engine::rabbitmq {
namespace {

using namespace std::chrono_literals;
using net::testing::wait_until;
using relay::BrokerTransport;
using switchboard::test::RabbitMqServerProcess;

// Loopback deliveries and confirms take milliseconds; rabbitmqctl boots a VM (~1.5 s) and a
// reconnect waits our backoff (≤ 5 s). 30 s only ends a hang on a loaded 2-core machine.
constexpr auto kWithin = 30s;

class Receiver : public relay::TransportReceiver {
 public:
  void on_channel_message(std::string_view message) override { add(channel_, message); }
  void on_node_message(std::string_view message) override { add(node_, message); }
  void on_subscription_restored(std::string_view channel) override { add(restored_, channel); }

  // Waits until `n` channel messages came (or kWithin passed) and returns them all.
  std::vector<std::string> channel_messages(std::size_t n) { return wait_for(channel_, n); }
  std::vector<std::string> node_messages(std::size_t n) { return wait_for(node_, n); }
  std::vector<std::string> restored(std::size_t n) { return wait_for(restored_, n); }

 private:
  void add(std::vector<std::string>& to, std::string_view what) {
    std::lock_guard lock(mutex_);
    to.emplace_back(what);
  }
  std::vector<std::string> wait_for(std::vector<std::string>& list, std::size_t n) {
    EXPECT_TRUE(wait_until(
        [&] {
          std::lock_guard lock(mutex_);
          return list.size() >= n;
        },
        kWithin))
        << "fewer than " << n << " arrived";
    std::lock_guard lock(mutex_);
    return list;
  }

  std::mutex mutex_;
  std::vector<std::string> channel_;
  std::vector<std::string> node_;
  std::vector<std::string> restored_;
};

// A completion and the error it was called with; fails the test when it is not called once.
class Answer {
 public:
  Completion done() {
    return [this](std::error_code ec) {
      std::lock_guard lock(mutex_);
      ++calls_;
      ec_ = ec;
      changed_.notify_all();
    };
  }
  std::error_code wait(std::chrono::milliseconds within = kWithin) {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(changed_.wait_for(lock, within, [&] { return calls_ > 0; }))
        << "no completion within " << within.count() << " ms";
    EXPECT_LE(calls_, 1) << "completed more than once";
    return ec_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int calls_ = 0;
  std::error_code ec_;
};

std::error_code subscribe(BrokerTransport& t, std::string_view channel) {
  Answer a;
  t.subscribe(channel, a.done());
  return a.wait();
}
std::error_code unsubscribe(BrokerTransport& t, std::string_view channel) {
  Answer a;
  t.unsubscribe(channel, a.done());
  return a.wait();
}
std::error_code send(BrokerTransport& t, std::string_view channel, std::string message) {
  Answer a;
  t.send(channel, std::move(message), a.done());
  return a.wait();
}
std::error_code send_to_node(BrokerTransport& t, std::string_view node, std::string message) {
  Answer a;
  t.send_to_node(node, std::move(message), a.done());
  return a.wait();
}

// One sample of a transport's write_metrics(): `name`, with `label` = `value` (or unlabelled
// when `label` is empty); nullopt when it has none such.
std::optional<std::uint64_t> metric(const BrokerTransport& t, std::string_view name,
                                    std::string_view label = {}, std::string_view value = {}) {
  class Sink final : public MetricsSink {
   public:
    void family(std::string_view, Type, std::string_view) override {}
    void sample(std::string_view n, std::uint64_t v, Labels labels) override {
      if (n != name) return;
      bool match = label.empty() ? labels.size() == 0 : false;
      for (const auto& [k, l] : labels) match = match || (k == label && l == value);
      if (match) found = v;
    }
    std::string_view name, label, value;
    std::optional<std::uint64_t> found;
  } sink;
  sink.name = name;
  sink.label = label;
  sink.value = value;
  t.write_metrics(sink);
  return sink.found;
}

RabbitMqTransportConfig config_for(const std::string& url, std::string prefix) {
  RabbitMqTransportConfig c;
  c.url = url;
  c.prefix = std::move(prefix);
  c.heartbeat = 2s;
  c.timeout = 5s;
  return c;
}

class RabbitMqTransportTest : public ::testing::Test {
 protected:
  RabbitMqServerProcess& node_ = RabbitMqServerProcess::shared();
  // Each test's own exchange and queues: `sbt-<test name>`.
  std::string prefix_ =
      std::string("sbt-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();

  std::shared_ptr<BrokerTransport> started(const std::string& node_id, Receiver& receiver) {
    auto t = make_rabbitmq_transport(config_for(node_.url(), prefix_));
    t->start(node_id, receiver);
    EXPECT_TRUE(wait_until([&] { return t->health().at(0).up; }, kWithin))
        << t->health().at(0).detail;
    return t;
  }

  Receiver ra_, rb_;
};

TEST_F(RabbitMqTransportTest, SendReachesEveryNodeSubscribedToTheChannelAndNoOther) {
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  ASSERT_FALSE(subscribe(*a, "both"));
  ASSERT_FALSE(subscribe(*b, "both"));
  ASSERT_FALSE(subscribe(*b, "b-only"));
  EXPECT_FALSE(send(*a, "both", "1"));    // the sender receives it too
  EXPECT_FALSE(send(*a, "b-only", "2"));  // not a
  EXPECT_FALSE(send(*a, "nobody", "3"));  // no subscriber: not an error
  EXPECT_FALSE(send(*b, "both", "4"));
  EXPECT_EQ(rb_.channel_messages(3), (std::vector<std::string>{"1", "2", "4"}));
  // "2" and "3" were confirmed — routed — before "4" was published, so had either reached
  // a's queue it would come before "4": a's first two being "1", "4" proves they did not.
  EXPECT_EQ(ra_.channel_messages(2), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(rb_.node_messages(0).size(), 0u);
}

TEST_F(RabbitMqTransportTest, SubscriptionsAreASetAndOneUnsubscribeEndsThem) {
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  ASSERT_FALSE(subscribe(*a, "s"));
  ASSERT_FALSE(subscribe(*a, "s"));
  ASSERT_FALSE(subscribe(*a, "marker"));
  ASSERT_FALSE(send(*b, "s", "once"));
  ASSERT_FALSE(send(*b, "marker", "m1"));
  EXPECT_EQ(ra_.channel_messages(2), (std::vector<std::string>{"once", "m1"}));
  ASSERT_FALSE(unsubscribe(*a, "s"));
  ASSERT_FALSE(send(*b, "s", "after"));
  ASSERT_FALSE(send(*b, "marker", "m2"));
  EXPECT_EQ(ra_.channel_messages(3), (std::vector<std::string>{"once", "m1", "m2"}));
  // Unsubscribing what is not subscribed is fine, and changes nothing.
  EXPECT_FALSE(unsubscribe(*a, "never"));
}

TEST_F(RabbitMqTransportTest, ChannelNamesAreExactRoutingKeysLongOnesIncluded) {
  auto a = started("a", ra_);
  const std::string long_name(300, 'x');  // "c." + 300 bytes: over 255, bound by its hash
  ASSERT_FALSE(subscribe(*a, "a.*"));
  ASSERT_FALSE(subscribe(*a, "#"));
  ASSERT_FALSE(subscribe(*a, long_name));
  EXPECT_FALSE(send(*a, "a.b", "no: a topic exchange would match a.*"));
  EXPECT_FALSE(send(*a, "z", "no: # would match everything"));
  EXPECT_FALSE(send(*a, std::string(300, 'y'), "no: another long name"));
  EXPECT_FALSE(send(*a, long_name, "long"));
  EXPECT_FALSE(send(*a, "a.*", "star"));
  EXPECT_FALSE(send(*a, "#", "hash"));
  EXPECT_EQ(ra_.channel_messages(3), (std::vector<std::string>{"long", "star", "hash"}));
}

TEST_F(RabbitMqTransportTest, SendToNodeReachesThatNodeOnlyAndAnUnknownNodeIsReported) {
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  // A channel named like the node: node messages are not channel messages.
  ASSERT_FALSE(subscribe(*a, "b"));
  ASSERT_FALSE(subscribe(*b, "b"));
  EXPECT_FALSE(send_to_node(*a, "b", "to-b"));
  EXPECT_FALSE(send_to_node(*b, "b", "to-self"));
  EXPECT_EQ(send_to_node(*a, "nobody", "lost"), EngineErrc::unknown_node);
  EXPECT_EQ(send_to_node(*a, std::string(300, 'n'), "lost"), EngineErrc::unknown_node);
  EXPECT_FALSE(send(*a, "b", "channel"));
  EXPECT_EQ(rb_.node_messages(2), (std::vector<std::string>{"to-b", "to-self"}));
  EXPECT_EQ(rb_.channel_messages(1), (std::vector<std::string>{"channel"}));
  EXPECT_EQ(ra_.channel_messages(1), (std::vector<std::string>{"channel"}));
  EXPECT_EQ(ra_.node_messages(0).size(), 0u);
  // The transport still works after a return: the next confirm is not mistaken for it.
  EXPECT_FALSE(send_to_node(*a, "b", "again"));
  EXPECT_EQ(rb_.node_messages(3).back(), "again");
  // An empty completion (broker.hpp allows one; the relay broker passes it on) is not called.
  a->send_to_node("nobody", "lost", nullptr);
  a->send_to_node("b", "without-completion", nullptr);
  EXPECT_EQ(rb_.node_messages(4).back(), "without-completion");
  ASSERT_TRUE(wait_until([&] {
    return metric(*a, "switchboard_broker_rabbitmq_sent_total", "kind", "node") == 3u;
  }));  // the last send's confirm is counted on the connection's thread
  EXPECT_EQ(metric(*a, "switchboard_broker_rabbitmq_sent_total", "kind", "channel"), 1u);
  EXPECT_EQ(metric(*a, "switchboard_broker_rabbitmq_unknown_node_total"), 3u);
  EXPECT_EQ(metric(*b, "switchboard_broker_rabbitmq_received_total", "kind", "node"), 4u);
  EXPECT_EQ(metric(*b, "switchboard_broker_rabbitmq_received_total", "kind", "channel"), 1u);
  EXPECT_EQ(metric(*a, "switchboard_broker_rabbitmq_reconnects_total"), 0u);
}

TEST_F(RabbitMqTransportTest, ANodeIdAlreadyRunningIsRefusedAndFreeOnceItStops) {
  auto a = started("same", ra_);
  auto second = make_rabbitmq_transport(config_for(node_.url(), prefix_));
  try {
    second->start("same", rb_);
    ADD_FAILURE() << "a second node 'same' started";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'same' is taken"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("405"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(a->health().at(0).up);  // the first one is untouched
  a->stop();
  auto third = started("same", rb_);
  EXPECT_FALSE(send_to_node(*third, "same", "mine"));
  EXPECT_EQ(rb_.node_messages(1), (std::vector<std::string>{"mine"}));
}

TEST_F(RabbitMqTransportTest, OneSendersMessagesArriveInOrder) {
  constexpr int kCount = 1000;
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  ASSERT_FALSE(subscribe(*b, "ordered"));
  std::mutex mutex;
  int ok = 0, failed = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    a->send("ordered", std::to_string(i), [&](std::error_code ec) {
      std::lock_guard lock(mutex);
      ++(ec ? failed : ok);
    });
  }
  const auto got = rb_.channel_messages(kCount);
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(got[i], std::to_string(i)) << "at " << i;
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return ok + failed == kCount;
      },
      kWithin));
  EXPECT_EQ(failed, 0);
  // For the record, not a bound: one transport's sends through the server to another's queue.
  std::cout << "[ info ] " << kCount << " messages in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
            << " ms\n";
}

TEST_F(RabbitMqTransportTest, AfterRabbitMqClosesTheConnectionsChannelsAreBoundAgainAndRestored) {
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  ASSERT_FALSE(subscribe(*a, "r1"));
  ASSERT_FALSE(subscribe(*a, "r2"));
  ASSERT_FALSE(subscribe(*a, "gone"));
  ASSERT_FALSE(unsubscribe(*a, "gone"));
  EXPECT_TRUE(ra_.restored(0).empty());
  node_.ctl({"close_all_connections", "test: the transports must reconnect"});
  auto restored = ra_.restored(2);
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, (std::vector<std::string>{"r1", "r2"}));
  ASSERT_TRUE(wait_until([&] { return b->health().at(0).up; }, kWithin))
      << b->health().at(0).detail;
  // Bound again (a's queue is a new one: the old went with its connection).
  EXPECT_FALSE(send(*b, "gone", "no"));
  EXPECT_FALSE(send(*b, "r2", "back"));
  EXPECT_FALSE(send_to_node(*b, "a", "node-back"));
  EXPECT_EQ(ra_.channel_messages(1), (std::vector<std::string>{"back"}));
  EXPECT_EQ(ra_.node_messages(1), (std::vector<std::string>{"node-back"}));
  EXPECT_EQ(metric(*a, "switchboard_broker_rabbitmq_reconnects_total"), 1u);
}

// Only the node queue's channel is lost (the queue deleted: basic.cancel): the connection
// stays, the queue is declared and bound again on a new channel, and the channels restored.
TEST_F(RabbitMqTransportTest, ADeletedNodeQueueIsDeclaredAndBoundAgain) {
  auto a = started("a", ra_);
  auto b = started("b", rb_);
  ASSERT_FALSE(subscribe(*a, "kept"));
  node_.ctl({"delete_queue", prefix_ + ".node.a"});
  EXPECT_EQ(ra_.restored(1), (std::vector<std::string>{"kept"}));
  ASSERT_TRUE(wait_until([&] { return a->health().at(0).up; }, kWithin))
      << a->health().at(0).detail;
  EXPECT_FALSE(send(*b, "kept", "again"));
  EXPECT_FALSE(send_to_node(*b, "a", "node-again"));
  EXPECT_EQ(ra_.channel_messages(1), (std::vector<std::string>{"again"}));
  EXPECT_EQ(ra_.node_messages(1), (std::vector<std::string>{"node-again"}));
}

// The server stopped and started again: while it is down calls fail with unavailable (a
// subscribe is not remembered); a transport started meanwhile connects in the background;
// once it is back, the channels subscribed before are bound again and restored.
TEST_F(RabbitMqTransportTest, WhileTheServerIsDownCallsFailAndAfterItsRestartAllIsBack) {
  auto a = started("a", ra_);
  ASSERT_FALSE(subscribe(*a, "before"));
  node_.stop();
  ASSERT_TRUE(wait_until([&] { return !a->health().at(0).up; }, kWithin));
  EXPECT_EQ(subscribe(*a, "during"), EngineErrc::unavailable);
  EXPECT_EQ(send(*a, "before", "lost"), EngineErrc::unavailable);
  EXPECT_EQ(send_to_node(*a, "a", "lost"), EngineErrc::unavailable);
  auto b = make_rabbitmq_transport(config_for(node_.url(), prefix_));
  b->start("b", rb_);  // does not throw: it connects once the server is back
  EXPECT_FALSE(b->health().at(0).up);
  node_.restart();
  EXPECT_EQ(ra_.restored(1), (std::vector<std::string>{"before"}));
  ASSERT_TRUE(wait_until([&] { return a->health().at(0).up && b->health().at(0).up; }, kWithin))
      << a->health().at(0).detail << " / " << b->health().at(0).detail;
  ASSERT_FALSE(subscribe(*b, "during"));
  EXPECT_FALSE(send(*b, "during", "not for a"));
  EXPECT_FALSE(send(*b, "before", "for a"));
  EXPECT_EQ(ra_.channel_messages(1), (std::vector<std::string>{"for a"}));
  EXPECT_EQ(rb_.channel_messages(1), (std::vector<std::string>{"not for a"}));
}

TEST_F(RabbitMqTransportTest, WhileTheServerIsUnreachableCallsFailAtOnceWithUnavailable) {
  // A free port: nothing listens, the connect is refused at once.
  auto config = config_for("amqp://guest:guest@127.0.0.1:" + std::to_string(switchboard::test::pick_free_port()) + "/",
                           prefix_);
  auto t = make_rabbitmq_transport(config);
  const auto begin = std::chrono::steady_clock::now();
  t->start("down", ra_);  // does not throw: it keeps trying in the background
  const auto health = t->health().at(0);
  EXPECT_FALSE(health.up);
  EXPECT_NE(health.detail.find("connect"), std::string::npos) << health.detail;
  EXPECT_TRUE(health.name.starts_with("rabbitmq 127.0.0.1:")) << health.name;
  // "At once": well within the 5 s RPC timeout (the refused connect is immediate).
  EXPECT_EQ(subscribe(*t, "x"), EngineErrc::unavailable);
  EXPECT_EQ(send(*t, "x", "m"), EngineErrc::unavailable);
  EXPECT_EQ(send_to_node(*t, "other", "m"), EngineErrc::unavailable);
  EXPECT_FALSE(unsubscribe(*t, "x"));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 4s);
  t->stop();
  EXPECT_EQ(send(*t, "x", "m"), EngineErrc::unavailable);
  EXPECT_EQ(metric(*t, "switchboard_broker_rabbitmq_send_failed_total", "reason", "unavailable"),
            3u);
}

TEST(RabbitMqTransportConfig, AnUnusableUrlOrPrefixIsRefused) {
  EXPECT_THROW(make_rabbitmq_transport({.url = "amqps://h/"}), std::invalid_argument);
  EXPECT_THROW(make_rabbitmq_transport({.url = "http://h/"}), std::invalid_argument);
  EXPECT_THROW(make_rabbitmq_transport({.url = "amqp://h/", .prefix = ""}),
               std::invalid_argument);
  EXPECT_THROW(make_rabbitmq_transport({.url = "amqp://h/", .prefix = "amq.x"}),
               std::invalid_argument);
  EXPECT_NO_THROW(make_rabbitmq_transport({.url = "amqp://h/"}));
}

}  // namespace
}  // namespace switchboard::engine::rabbitmq
