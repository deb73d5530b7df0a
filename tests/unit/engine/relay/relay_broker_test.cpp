// The relay broker's own logic over a scripted transport (the tests decide which message
// arrives when, and which call fails): offset order restored across swapped arrivals, a gap
// given up and reported, keys released after a failed send, duplicates not sent. The real
// transports run the Broker contract (tests/contract/rabbitmq_broker_contract_test.cpp,
// nats_broker_contract_test.cpp).
#include "switchboard/engine/relay/relay_broker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <span>
#include <thread>
#include <string>
#include <vector>

#include "switchboard/engine/memory/memory_history.hpp"
#include "switchboard/engine/relay/relay_engine.hpp"

namespace switchboard::engine::relay {
namespace {

using namespace std::chrono_literals;

// Keeps what is sent; the test hands it to the receiver in the order it likes.
class ScriptedTransport final : public BrokerTransport {
 public:
  void start(std::string, TransportReceiver& receiver) override { receiver_ = &receiver; }
  void stop() override { stopped = true; }
  void subscribe(std::string_view, Completion done) override { done({}); }
  void unsubscribe(std::string_view, Completion done) override { done({}); }
  void send(std::string_view, std::string message, Completion done) override {
    if (fail_sends) return done(EngineErrc::unavailable);
    sent.push_back(std::move(message));
    done({});
  }
  void send_to_node(std::string_view, std::string message, Completion done) override {
    sent.push_back(std::move(message));
    if (done) done({});
  }
  std::vector<BackendHealth> health() const override {
    return {{"scripted", !stopped, stopped ? "stopped" : ""}};
  }
  void write_metrics(MetricsSink& sink) const override {
    sink.family("scripted_sent_total", MetricsSink::Type::counter, "");
    sink.sample("scripted_sent_total", sent.size(), {});
  }

  TransportReceiver& receiver() { return *receiver_; }
  std::vector<std::string> sent;
  bool fail_sends = false;
  bool stopped = false;

 private:
  TransportReceiver* receiver_ = nullptr;
};

class ScriptedKeys final : public PublishKeys {
 public:
  void claim(const Publication&, ResultCallback<std::optional<StreamPosition>> done) override {
    done({}, holder);
  }
  void append(Publication, const HistoryOptions&, ResultCallback<PublicationPtr> done) override {
    done(EngineErrc::unavailable, nullptr);  // not used: these tests' keyed publishes have none
  }
  void release(const Publication& p, Completion done) override {
    released.push_back(p.idempotency_key);
    if (done) done({});
  }
  std::optional<StreamPosition> holder;
  std::vector<std::string> released;
};

// What the node was handed, from the broker's delivery thread; the test waits for it.
class Recorder final : public BrokerHandler {
 public:
  void on_publication(const PublicationPtr& p) override { on_publications({&p, 1}); }
  void on_publications(std::span<const PublicationPtr> batch) override {
    std::unique_lock lock(mu_);
    for (const auto& p : batch) offsets_.push_back(p->offset);
    ++handovers_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !holding_; });
  }
  // The next hand-overs wait until release(): the delivery thread is busy meanwhile.
  void hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    holding_ = false;
    cv_.notify_all();
  }
  void on_node_message(const PublicationPtr& p) override {
    std::lock_guard lock(mu_);
    node_messages_.push_back(p->payload);
    cv_.notify_all();
  }
  void on_subscription_restored(std::string_view channel) override {
    std::lock_guard lock(mu_);
    restored_.emplace_back(channel);
    cv_.notify_all();
  }
  // True once `done()` holds, within a bound for a loaded machine.
  template <class Done>
  bool wait(Done done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, done);
  }
  bool wait_offsets(std::size_t n) {
    return wait([&] { return offsets_.size() >= n; });
  }
  bool wait_restored() {
    return wait([&] { return !restored_.empty(); });
  }
  std::vector<std::uint64_t> offsets() {
    std::lock_guard lock(mu_);
    return offsets_;
  }
  std::vector<std::string> node_messages() {
    std::lock_guard lock(mu_);
    return node_messages_;
  }
  std::vector<std::string> restored() {
    std::lock_guard lock(mu_);
    return restored_;
  }
  std::size_t handovers() {
    std::lock_guard lock(mu_);
    return handovers_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::string> node_messages_;
  std::vector<std::string> restored_;
  std::size_t handovers_ = 0;
  bool holding_ = false;
};

// Polls `done` until true, within a bound for a loaded machine (the broker's gauges change on
// its delivery thread).
template <class Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

Publication event(std::string key = {}) {
  Publication p;
  p.channel = "c";
  p.type = "t";
  p.payload = "{}";
  p.idempotency_key = std::move(key);
  if (!p.idempotency_key.empty()) p.dedupe_window = 2s;
  return p;
}

class RelayBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options.stats = stats;
    options.gap_timeout = 20ms;
    broker = make_relay_broker(transport, history, keys, options);
    broker->start("a", handler);
  }
  std::error_code publish(Publication p, std::size_t history_size, PublicationPtr* out = nullptr) {
    std::error_code result;
    broker->publish(std::move(p), HistoryOptions{history_size, 1min},
                    [&](std::error_code ec, PublicationPtr got) {
                      result = ec;
                      if (out) *out = std::move(got);
                    });
    return result;
  }

  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  std::shared_ptr<ScriptedKeys> keys = std::make_shared<ScriptedKeys>();
  std::shared_ptr<RelayStats> stats = std::make_shared<RelayStats>();
  MemoryHistory history;
  RelayBrokerOptions options;
  Recorder handler;
  std::unique_ptr<Broker> broker;
};

TEST_F(RelayBrokerTest, PublicationsArrivingSwappedAreDeliveredInOffsetOrder) {
  broker->subscribe("c", {});
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(publish(event(), 10));
  ASSERT_EQ(transport->sent.size(), 3u);
  transport->receiver().on_channel_message(transport->sent[2]);
  transport->receiver().on_channel_message(transport->sent[1]);
  ASSERT_TRUE(eventually([&] { return stats->held.load() == 2; }));
  EXPECT_TRUE(handler.offsets().empty());
  transport->receiver().on_channel_message(transport->sent[0]);
  ASSERT_TRUE(handler.wait_offsets(3));
  EXPECT_EQ(handler.offsets(), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(eventually([&] { return stats->held.load() == 0; }));
}

TEST_F(RelayBrokerTest, AGapNotFilledInTimeIsReportedAsRestoredAndCounted) {
  broker->subscribe("c", {});
  ASSERT_FALSE(publish(event(), 10));
  ASSERT_FALSE(publish(event(), 10));
  transport->receiver().on_channel_message(transport->sent[1]);  // 1 never arrives
  // gap_timeout is 20 ms.
  ASSERT_TRUE(handler.wait_restored());
  EXPECT_EQ(handler.restored(), (std::vector<std::string>{"c"}));
  EXPECT_EQ(stats->gaps.load(), 1u);
  transport->receiver().on_channel_message(transport->sent[0]);  // too late: history has it
  ASSERT_TRUE(eventually([&] { return stats->stale.load() == 1; }));
  EXPECT_TRUE(handler.offsets().empty());
}

TEST_F(RelayBrokerTest, WhatArrivesWhileTheNodeIsBusyIsHandedOverTogetherInOrder) {
  broker->subscribe("c", {});
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) ASSERT_FALSE(publish(event(), 10000));
  handler.hold();
  transport->receiver().on_channel_message(transport->sent[0]);
  ASSERT_TRUE(handler.wait_offsets(1));  // the delivery thread is in the node's hand-over
  for (int i = 1; i < kCount; ++i) transport->receiver().on_channel_message(transport->sent[i]);
  handler.release();
  ASSERT_TRUE(handler.wait_offsets(kCount));
  const auto offsets = handler.offsets();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(offsets[i], static_cast<std::uint64_t>(i + 1));
  EXPECT_EQ(handler.handovers(), 2u);  // the first alone, then everything queued meanwhile
}

TEST_F(RelayBrokerTest, AFailedSendFailsThePublishAndReleasesItsKey) {
  transport->fail_sends = true;
  EXPECT_EQ(publish(event("k1"), 0), EngineErrc::unavailable);
  EXPECT_EQ(keys->released, (std::vector<std::string>{"k1"}));
  EXPECT_EQ(publish(event(), 0), EngineErrc::unavailable);  // no key: nothing to release
  EXPECT_EQ(keys->released.size(), 1u);
}

TEST_F(RelayBrokerTest, AClaimHeldByAnotherPublishCompletesAsADuplicateAndSendsNothing) {
  keys->holder = StreamPosition{0, ""};
  PublicationPtr got;
  EXPECT_FALSE(publish(event("k1"), 0, &got));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->duplicate);
  EXPECT_TRUE(transport->sent.empty());
}

TEST_F(RelayBrokerTest, NodeMessagesAndUndecodableMessages) {
  Publication p = event();
  p.payload = R"({"n":1})";
  broker->publish_to_node("b", std::make_shared<const Publication>(p), {});
  ASSERT_EQ(transport->sent.size(), 1u);
  transport->receiver().on_node_message(transport->sent[0]);
  ASSERT_TRUE(eventually([&] { return handler.node_messages().size() == 1; }));
  EXPECT_EQ(handler.node_messages(), (std::vector<std::string>{R"({"n":1})"}));
  transport->receiver().on_channel_message("not a publication");
  transport->receiver().on_node_message("9");
  EXPECT_EQ(stats->undecodable.load(), 2u);  // counted on the transport's thread
  EXPECT_TRUE(handler.offsets().empty());
}

TEST(RelayBrokerStart, CallsBeforeStartFailWithNotStarted) {
  MemoryHistory history;
  auto broker = make_relay_broker(std::make_shared<ScriptedTransport>(), history,
                                  std::make_shared<ScriptedKeys>());
  std::error_code subscribed, published;
  broker->subscribe("c", [&](std::error_code ec) { subscribed = ec; });
  broker->publish(event(), {}, [&](std::error_code ec, PublicationPtr) { published = ec; });
  EXPECT_EQ(subscribed, EngineErrc::not_started);
  EXPECT_EQ(published, EngineErrc::not_started);
}

// The names of the families written.
class FamilyNames final : public MetricsSink {
 public:
  void family(std::string_view name, Type, std::string_view) override { names.emplace_back(name); }
  void sample(std::string_view, std::uint64_t, Labels) override {}
  std::vector<std::string> names;
};

TEST(RelayEngine, TheBackendReportsTheTransportWithTheEngineAndStopsIt) {
  Engine engine = make_memory_engine();
  EXPECT_THROW(with_relay_broker(make_memory_engine(), std::make_shared<ScriptedTransport>()),
               std::invalid_argument);  // it has a broker (and no keys)
  engine.broker.reset();
  engine.publish_keys = std::make_shared<ScriptedKeys>();
  auto transport = std::make_shared<ScriptedTransport>();
  Engine relayed = with_relay_broker(std::move(engine), transport);
  ASSERT_TRUE(relayed.broker);
  ASSERT_TRUE(relayed.backend);
  const auto health = relayed.backend->health();
  ASSERT_EQ(health.size(), 1u);  // the memory engine has no servers; the transport has one
  EXPECT_EQ(health[0].name, "scripted");
  FamilyNames families;
  relayed.backend->write_metrics(families);
  EXPECT_EQ(families.names, (std::vector<std::string>{"scripted_sent_total",
                                                      "switchboard_broker_dropped_total",
                                                      "switchboard_broker_gaps_total",
                                                      "switchboard_broker_held"}));
  relayed.backend->stop();
  EXPECT_TRUE(transport->stopped);
}

}  // namespace
}  // namespace switchboard::engine::relay
