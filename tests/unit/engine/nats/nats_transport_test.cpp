// The NATS BrokerTransport (include/switchboard/engine/nats/nats_transport.hpp) against a
// private nats-server per test (tests/support/nats_server_process.*): several transports on one
// server are several nodes.
//
// To conclude that a node did NOT receive something, a test sends a marker afterwards on a
// channel the node does receive, from the same sender: the server forwards one connection's
// messages in order, so once the marker is there anything before it would have been too.
#include "switchboard/engine/nats/nats_transport.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nats_server_process.hpp"

namespace switchboard::engine::nats {
namespace {

using namespace std::chrono_literals;

// Generous bounds for what takes milliseconds on loopback: the machine is shared by builds and
// the sanitizers slow everything down several times.
constexpr auto kWithin = 20s;

class Recorder final : public relay::TransportReceiver {
 public:
  void on_channel_message(std::string_view message) override {
    if (in_flight_.fetch_add(1) != 0) overlapped_ = true;
    record(channel_, message);
    in_flight_.fetch_sub(1);
  }
  void on_node_message(std::string_view message) override { record(node_, message); }
  void on_subscription_restored(std::string_view channel) override { record(restored_, channel); }

  bool wait_channel(std::size_t n) { return wait(channel_, n); }
  bool wait_restored(std::size_t n) { return wait(restored_, n); }
  std::vector<std::string> channel() const { return snapshot(channel_); }
  std::vector<std::string> node() const { return snapshot(node_); }
  std::vector<std::string> restored() const { return snapshot(restored_); }
  bool overlapped() const { return overlapped_; }

 private:
  void record(std::vector<std::string>& into, std::string_view what) {
    std::lock_guard lock(mutex_);
    into.emplace_back(what);
    cv_.notify_all();
  }
  bool wait(const std::vector<std::string>& list, std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kWithin, [&] { return list.size() >= n; });
  }
  std::vector<std::string> snapshot(const std::vector<std::string>& list) const {
    std::lock_guard lock(mutex_);
    return list;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> channel_, node_, restored_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> overlapped_{false};
};

// The samples a transport writes, by name and labels.
class Counting final : public MetricsSink {
 public:
  void family(std::string_view, Type, std::string_view) override {}
  void sample(std::string_view name, std::uint64_t value, Labels labels) override {
    std::string key(name);
    for (const auto& [k, v] : labels)
      key += std::string("{") + std::string(k) + "=" + std::string(v) + "}";
    values[key] = value;
  }
  std::map<std::string, std::uint64_t> values;
};

// Waits for a completion (bounded: a call that never completes fails the test).
template <class Call>
std::error_code await(Call call) {
  auto promise = std::make_shared<std::promise<std::error_code>>();
  auto result = promise->get_future();
  call([promise](std::error_code ec) { promise->set_value(ec); });
  if (result.wait_for(kWithin) != std::future_status::ready) {
    ADD_FAILURE() << "no completion";
    return make_error_code(EngineErrc::timeout);
  }
  return result.get();
}

struct Node {
  Recorder receiver;  // outlives the transport
  std::shared_ptr<relay::BrokerTransport> transport;

  std::error_code subscribe(const std::string& channel) {
    return await([&](Completion done) { transport->subscribe(channel, std::move(done)); });
  }
  std::error_code unsubscribe(const std::string& channel) {
    return await([&](Completion done) { transport->unsubscribe(channel, std::move(done)); });
  }
  std::error_code send(const std::string& channel, const std::string& message) {
    return await([&](Completion done) { transport->send(channel, message, std::move(done)); });
  }
  std::error_code send_to_node(const std::string& id, const std::string& message) {
    return await([&](Completion done) { transport->send_to_node(id, message, std::move(done)); });
  }
  bool up() const { return transport->health().front().up; }
};

class NatsTransportTest : public ::testing::Test {
 protected:
  NatsTransportConfig config() const {
    NatsTransportConfig c;
    c.url = server_.url();
    c.prefix = "sbtest";
    return c;
  }
  Node& add_node(const std::string& id) {
    auto& node = *nodes_.emplace_back(std::make_unique<Node>());
    node.transport = make_nats_transport(config());
    node.transport->start(id, node.receiver);
    return node;
  }
  // Waits until `node`'s health says `up`.
  static bool wait_up(const Node& node, bool up) {
    const auto deadline = std::chrono::steady_clock::now() + kWithin;
    while (node.up() != up) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  test::NatsServerProcess server_ = test::NatsServerProcess::start();  // outlives the nodes
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(NatsTransportTest, SendReachesEverySubscribedNodeTheSenderIncluded) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  Node& c = add_node("c");
  ASSERT_FALSE(a.subscribe("news"));
  ASSERT_FALSE(b.subscribe("news"));
  ASSERT_FALSE(c.subscribe("marker"));
  ASSERT_FALSE(a.send("news", "hello"));
  ASSERT_FALSE(a.send("marker", "m"));
  ASSERT_TRUE(a.receiver.wait_channel(1));
  ASSERT_TRUE(b.receiver.wait_channel(1));
  ASSERT_TRUE(c.receiver.wait_channel(1));
  EXPECT_EQ(a.receiver.channel(), std::vector<std::string>{"hello"});
  EXPECT_EQ(b.receiver.channel(), std::vector<std::string>{"hello"});
  EXPECT_EQ(c.receiver.channel(), std::vector<std::string>{"m"});  // not subscribed to news
  EXPECT_TRUE(a.up());
  EXPECT_EQ(a.transport->health().front().name, "nats 127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(NatsTransportTest, SubscriptionsAreASetAndOneUnsubscribeEndsThem) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(b.subscribe("room"));
  ASSERT_FALSE(b.subscribe("room"));
  ASSERT_FALSE(b.subscribe("marker"));
  ASSERT_FALSE(a.send("room", "once"));
  ASSERT_FALSE(a.send("marker", "m1"));
  ASSERT_TRUE(b.receiver.wait_channel(2));
  EXPECT_EQ(b.receiver.channel(), (std::vector<std::string>{"once", "m1"}));

  ASSERT_FALSE(b.unsubscribe("room"));
  ASSERT_FALSE(a.send("room", "after"));
  ASSERT_FALSE(a.send("marker", "m2"));
  ASSERT_TRUE(b.receiver.wait_channel(3));
  EXPECT_EQ(b.receiver.channel(), (std::vector<std::string>{"once", "m1", "m2"}));
  EXPECT_FALSE(b.unsubscribe("room"));  // not subscribed: nothing to do, no error
}

TEST_F(NatsTransportTest, SendToNodeReachesExactlyThatNode) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  Node& c = add_node("c");
  ASSERT_FALSE(a.send_to_node("b", "for b"));
  // The answer comes once b's on_node_message returned: no wait needed.
  EXPECT_EQ(b.receiver.node(), std::vector<std::string>{"for b"});
  EXPECT_TRUE(c.receiver.node().empty());
  EXPECT_TRUE(a.receiver.node().empty());
  ASSERT_FALSE(b.send_to_node("b", "to myself"));
  EXPECT_EQ(b.receiver.node(), (std::vector<std::string>{"for b", "to myself"}));
}

TEST_F(NatsTransportTest, SendToANodeNobodyHasIsUnknownNode) {
  Node& a = add_node("a");
  EXPECT_EQ(a.send_to_node("nobody", "x"), make_error_code(EngineErrc::unknown_node));
  EXPECT_EQ(a.send_to_node("a.b", "x"), make_error_code(EngineErrc::unknown_node));
}

TEST_F(NatsTransportTest, StartingWithARunningNodesIdThrowsAndWorksOnceItStopped) {
  Node& first = add_node("same");
  Recorder receiver;
  auto second = make_nats_transport(config());
  EXPECT_THROW(second->start("same", receiver), std::invalid_argument);
  // The probe was not handed to the running node as a message.
  EXPECT_TRUE(first.receiver.node().empty());
  // Another prefix is another cluster: the id is free there.
  auto other_cluster_config = config();
  other_cluster_config.prefix = "sbother";
  auto other = make_nats_transport(other_cluster_config);
  EXPECT_NO_THROW(other->start("same", receiver));
  other->stop();
  // Once the running node stops, the refused transport may start again with the id.
  first.transport->stop();
  EXPECT_NO_THROW(second->start("same", receiver));
  Node& sender = add_node("sender");
  ASSERT_FALSE(sender.send_to_node("same", "to the new one"));
  EXPECT_EQ(receiver.node(), std::vector<std::string>{"to the new one"});
  second->stop();
}

TEST_F(NatsTransportTest, OneSendersOrderIsKept) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(b.subscribe("seq"));
  constexpr int kCount = 1000;
  std::atomic<int> ok{0};
  std::promise<void> all_done;
  std::atomic<int> left{kCount};
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    a.transport->send("seq", std::to_string(i), [&](std::error_code ec) {
      if (!ec) ok += 1;
      if (--left == 0) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(kWithin), std::future_status::ready);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(ok, kCount);
  ASSERT_TRUE(b.receiver.wait_channel(kCount));
  const auto got = b.receiver.channel();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(got[i], std::to_string(i)) << i;
  EXPECT_FALSE(b.receiver.overlapped());
  // For the record (not asserted: wall clock on a shared machine).
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  std::printf("%d confirmed sends in %lld us: %.0f sends/s\n", kCount, static_cast<long long>(us),
              kCount * 1e6 / static_cast<double>(us));
}

TEST_F(NatsTransportTest, AfterAServerRestartEveryChannelIsRestoredAndSendsWorkAgain) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(b.subscribe("one"));
  ASSERT_FALSE(b.subscribe("two"));
  ASSERT_FALSE(b.subscribe("gone"));
  ASSERT_FALSE(b.unsubscribe("gone"));
  server_.kill();
  ASSERT_TRUE(wait_up(a, false));
  ASSERT_TRUE(wait_up(b, false));
  EXPECT_FALSE(b.transport->health().front().detail.empty());
  server_.restart();
  ASSERT_TRUE(b.receiver.wait_restored(2));
  auto restored = b.receiver.restored();
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(wait_up(a, true));
  ASSERT_FALSE(a.send("one", "back"));
  ASSERT_FALSE(a.send("two", "again"));
  ASSERT_TRUE(b.receiver.wait_channel(2));
  EXPECT_EQ(b.receiver.channel(), (std::vector<std::string>{"back", "again"}));
  ASSERT_FALSE(a.send_to_node("b", "node too"));
  EXPECT_EQ(b.receiver.node(), std::vector<std::string>{"node too"});
  Counting metrics;
  b.transport->write_metrics(metrics);
  EXPECT_EQ(metrics.values["switchboard_broker_nats_reconnects_total"], 1u);
}

TEST_F(NatsTransportTest, WhileDisconnectedCallsFailAtOnceAndAreNotRemembered) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(b.subscribe("marker"));
  server_.kill();
  ASSERT_TRUE(wait_up(b, false));
  ASSERT_TRUE(wait_up(a, false));
  EXPECT_EQ(b.subscribe("late"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send("marker", "lost"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send_to_node("b", "lost"), make_error_code(EngineErrc::unavailable));
  server_.restart();
  ASSERT_TRUE(b.receiver.wait_restored(1));  // "marker"
  ASSERT_TRUE(wait_up(a, true));
  ASSERT_FALSE(a.send("late", "not for b"));
  ASSERT_FALSE(a.send("marker", "m"));
  ASSERT_TRUE(b.receiver.wait_channel(1));
  // Neither the refused subscription nor the refused send came back after the reconnect.
  EXPECT_EQ(b.receiver.channel(), std::vector<std::string>{"m"});
  EXPECT_EQ(b.receiver.restored(), std::vector<std::string>{"marker"});
  EXPECT_TRUE(b.receiver.node().empty());
}

// A frozen server accepts nothing and answers nothing: a send's flush and a node request run
// into `timeout` (the effect unknown: the server may process them once it resumes); the link
// itself survives a short freeze (the pings allow ~4 s), and calls work again after it.
TEST_F(NatsTransportTest, AFrozenServerMakesCallsTimeOut) {
  auto quick = config();
  quick.timeout = 300ms;
  Node a, b;
  a.transport = make_nats_transport(quick);
  a.transport->start("a", a.receiver);
  b.transport = make_nats_transport(quick);
  b.transport->start("b", b.receiver);
  ASSERT_FALSE(b.subscribe("c"));
  server_.pause();
  EXPECT_EQ(a.send("c", "frozen"), make_error_code(EngineErrc::timeout));
  EXPECT_EQ(a.send_to_node("b", "frozen"), make_error_code(EngineErrc::timeout));
  server_.resume();
  // 300 ms is ample for a thawed server's answer, but not always on a loaded machine under a
  // sanitizer: retried (bounded) rather than failed on one slow round trip.
  auto succeeds = [](auto call) {
    const auto deadline = std::chrono::steady_clock::now() + kWithin;
    while (call()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
    }
    return true;
  };
  EXPECT_TRUE(succeeds([&] { return a.send("c", "thawed"); }));
  EXPECT_TRUE(succeeds([&] { return a.send_to_node("b", "thawed"); }));
  ASSERT_FALSE(b.receiver.node().empty());
  EXPECT_EQ(b.receiver.node().back(), "thawed");
  Counting metrics;
  a.transport->write_metrics(metrics);
  EXPECT_GE(metrics.values["switchboard_broker_nats_timeouts_total"], 2u);
  a.transport->stop();
  b.transport->stop();
}

// A server frozen for good: the pings declare the link lost (~4-6 s), and the library's
// reconnect attempts then wait `timeout` each for a greeting that never comes, holding the
// connection's lock. Calls meanwhile still fail at once: the transport reads the connection
// events, not the library's status, first.
TEST_F(NatsTransportTest, WhileTheLibraryRetriesAFrozenServerCallsStillFailAtOnce) {
  auto slow_connect = config();
  slow_connect.timeout = 3s;
  Node a;
  a.transport = make_nats_transport(slow_connect);
  a.transport->start("a", a.receiver);
  server_.pause();
  ASSERT_TRUE(wait_up(a, false));
  for (int i = 0; i < 5; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(a.subscribe("c"), make_error_code(EngineErrc::unavailable));
    // Waiting out a connect attempt would take up to 3 s; an answer at once takes
    // microseconds. 1 s leaves room for a loaded machine.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << i;
    std::this_thread::sleep_for(200ms);  // spread the calls over the attempts
  }
  server_.resume();
  a.transport->stop();
}

TEST_F(NatsTransportTest, ChannelNamesNatsGivesAMeaningAreJustNames) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  const std::vector<std::string> names{".", "*", ">", "a.b", "a.*", "a b", "caf\xc3\xa9", "100%"};
  for (const auto& name : names) ASSERT_FALSE(b.subscribe(name)) << name;
  for (const auto& name : names) ASSERT_FALSE(a.send(name, "to " + name)) << name;
  ASSERT_TRUE(b.receiver.wait_channel(names.size()));
  ASSERT_FALSE(b.subscribe("marker"));
  ASSERT_FALSE(a.send("marker", "m"));
  ASSERT_TRUE(b.receiver.wait_channel(names.size() + 1));
  // Each once: no name acted as a wildcard for another.
  std::vector<std::string> expected;
  for (const auto& name : names) expected.push_back("to " + name);
  expected.push_back("m");
  EXPECT_EQ(b.receiver.channel(), expected);
}

// The server closes the connection of a client whose protocol line exceeds 4 KiB, which would
// cost every subscription: a name whose subject would be that long is refused instead, and so
// is a message over the server's max_payload (1 MiB by default). The longest valid channel
// name (255 bytes, each escaped) is far from it.
TEST_F(NatsTransportTest, WhatTheServerWouldNotTakeIsRefusedAndTheLinkStays) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  const std::string longest_valid(255, '.');  // 765 bytes escaped
  ASSERT_FALSE(b.subscribe(longest_valid));
  ASSERT_FALSE(a.send(longest_valid, "fits"));
  ASSERT_TRUE(b.receiver.wait_channel(1));
  const std::string too_long(2000, '.');  // 6,000 bytes escaped
  EXPECT_EQ(b.subscribe(too_long), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send(too_long, "x"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send_to_node(too_long, "x"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send(longest_valid, std::string(2 * 1024 * 1024, 'x')),
            make_error_code(EngineErrc::unavailable));
  ASSERT_FALSE(a.send(longest_valid, "still up"));
  ASSERT_TRUE(b.receiver.wait_channel(2));
  EXPECT_EQ(b.receiver.channel(), (std::vector<std::string>{"fits", "still up"}));
  Counting metrics;
  a.transport->write_metrics(metrics);
  EXPECT_EQ(metrics.values["switchboard_broker_nats_refused_total{reason=subject_too_long}"], 2u);
  EXPECT_EQ(metrics.values["switchboard_broker_nats_refused_total{reason=message_too_large}"], 1u);
  EXPECT_EQ(metrics.values["switchboard_broker_nats_reconnects_total"], 0u);
}

TEST_F(NatsTransportTest, MetricsCountWhatWasSentReceivedAndRefused) {
  Node& a = add_node("a");
  Node& b = add_node("b");
  ASSERT_FALSE(b.subscribe("c"));
  ASSERT_FALSE(a.send("c", "1"));
  ASSERT_FALSE(a.send_to_node("b", "2"));
  EXPECT_EQ(a.send_to_node("x", "3"), make_error_code(EngineErrc::unknown_node));
  ASSERT_TRUE(b.receiver.wait_channel(1));
  Counting sent, received;
  a.transport->write_metrics(sent);
  b.transport->write_metrics(received);
  EXPECT_EQ(sent.values["switchboard_broker_nats_sent_total{kind=channel}"], 1u);
  EXPECT_EQ(sent.values["switchboard_broker_nats_sent_total{kind=node}"], 2u);
  EXPECT_EQ(sent.values["switchboard_broker_nats_unknown_node_total"], 1u);
  EXPECT_EQ(received.values["switchboard_broker_nats_received_total{kind=channel}"], 1u);
  EXPECT_EQ(received.values["switchboard_broker_nats_received_total{kind=node}"], 1u);
  EXPECT_EQ(received.values["switchboard_broker_nats_reconnects_total"], 0u);
  EXPECT_EQ(received.values["switchboard_broker_nats_dropped_total{reason=slow_consumer}"], 0u);
}

// A receiver that does not keep up: the library keeps 10,000 of a channel's messages pending
// and drops the rest; every message is either delivered or counted as dropped.
TEST_F(NatsTransportTest, MessagesDroppedForASlowReceiverAreCounted) {
  class Blocking final : public relay::TransportReceiver {
   public:
    void on_channel_message(std::string_view) override {
      std::unique_lock lock(mutex);
      if (received++ == 0) cv.wait(lock, [&] { return released; });
    }
    void on_node_message(std::string_view) override {}
    void on_subscription_restored(std::string_view) override {}
    void release() {
      std::lock_guard lock(mutex);
      released = true;
      cv.notify_all();
    }
    std::uint64_t count() {
      std::lock_guard lock(mutex);
      return received;
    }
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
    std::uint64_t received = 0;
  };
  Blocking slow;
  auto b = make_nats_transport(config());
  b->start("b", slow);
  Node& a = add_node("a");
  ASSERT_FALSE(await([&](Completion done) { b->subscribe("flood", std::move(done)); }));
  constexpr std::uint64_t kSent = 15'000;  // 5,000 beyond the pending limit at least
  std::atomic<std::uint64_t> left{kSent};
  std::promise<void> sent;
  for (std::uint64_t i = 0; i < kSent; ++i) {
    a.transport->send("flood", "x", [&](std::error_code) {
      if (--left == 0) sent.set_value();
    });
  }
  ASSERT_EQ(sent.get_future().wait_for(kWithin), std::future_status::ready);
  auto dropped = [&] {
    Counting metrics;
    b->write_metrics(metrics);
    return metrics.values["switchboard_broker_nats_dropped_total{reason=slow_consumer}"];
  };
  // The library keeps at most 10,000 pending while the receiver holds the first message, so
  // at least kSent - 10,001 are dropped once all reached b's client. It reports the slow
  // consumer at its first drop; the transport polls the count every second while it grows.
  constexpr std::uint64_t kAtLeastDropped = kSent - 10'001;
  const auto deadline = std::chrono::steady_clock::now() + kWithin;
  while (dropped() < kAtLeastDropped && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(dropped(), kAtLeastDropped);
  slow.release();
  while (slow.count() + dropped() < kSent && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(slow.count() + dropped(), kSent) << slow.count() << " delivered";
  b->stop();
}

TEST_F(NatsTransportTest, AnUnusablePrefixOrNoAddressIsRefusedAtOnce) {
  auto bad_prefix = config();
  bad_prefix.prefix = "sb.*";
  EXPECT_THROW(make_nats_transport(bad_prefix), std::invalid_argument);
  auto no_url = config();
  no_url.url.clear();
  EXPECT_THROW(make_nats_transport(no_url), std::invalid_argument);
}

TEST_F(NatsTransportTest, AfterStopCallsCompleteWithUnavailable) {
  Node& a = add_node("a");
  a.transport->stop();
  a.transport->stop();  // idempotent
  EXPECT_EQ(a.send("c", "x"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.subscribe("c"), make_error_code(EngineErrc::unavailable));
  EXPECT_EQ(a.send_to_node("a", "x"), make_error_code(EngineErrc::unavailable));
}

}  // namespace
}  // namespace switchboard::engine::nats
