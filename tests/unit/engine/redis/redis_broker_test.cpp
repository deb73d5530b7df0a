// RedisBroker against private redis-server processes: what the Broker contract suite cannot
// cover — a Redis restart (resubscription, on_subscription_restored, new epochs), a flushed
// script cache, Redis down (at start and later), node id ownership, foreign messages,
// destruction with calls in flight, the TTL on every key the engine writes, and idempotency
// keys: a failing script leaves none, each expires by itself, none travels in a message.
#include "redis_broker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "redis_engine_test_support.hpp"
#include "redis_history.hpp"
#include "redis_server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::await_result;
using testing::CompletionLog;
using testing::eventually;
using testing::make_publication;
using testing::run_command;
using testing::started_context;

const HistoryOptions kKeep{10, std::chrono::minutes(1)};
const HistoryOptions kNoHistory{0, std::chrono::minutes(1)};

// How long to wait before concluding that nothing more arrives: many loop turns of the
// engine's thread, and a loopback delivery, even on a loaded machine running the sanitizers.
constexpr auto kSettle = 200ms;

// What a node receives, from the engine's thread.
class Recorder final : public BrokerHandler {
 public:
  void on_publication(const PublicationPtr& p) override { add(publications_, p); }
  void on_node_message(const PublicationPtr& p) override { add(node_messages_, p); }
  void on_subscription_restored(std::string_view channel) override {
    std::lock_guard lock(mu_);
    restored_.emplace_back(channel);
  }
  std::vector<PublicationPtr> publications() const { return copy(publications_); }
  std::vector<PublicationPtr> node_messages() const { return copy(node_messages_); }
  std::vector<std::string> restored() const {
    std::lock_guard lock(mu_);
    return restored_;
  }

 private:
  void add(std::vector<PublicationPtr>& list, const PublicationPtr& p) {
    std::lock_guard lock(mu_);
    list.push_back(p);
  }
  std::vector<PublicationPtr> copy(const std::vector<PublicationPtr>& list) const {
    std::lock_guard lock(mu_);
    return list;
  }
  mutable std::mutex mu_;
  std::vector<PublicationPtr> publications_;
  std::vector<PublicationPtr> node_messages_;
  std::vector<std::string> restored_;
};

std::error_code subscribe(Broker& broker, const std::string& channel) {
  return await_result<std::monostate>([&](auto done) {
           broker.subscribe(channel, [done](std::error_code ec) { done(ec, {}); });
         })
      .first;
}

std::pair<std::error_code, PublicationPtr> publish(Broker& broker, const std::string& channel,
                                                   const std::string& payload,
                                                   const HistoryOptions& history = kKeep) {
  return await_result<PublicationPtr>([&](auto done) {
    broker.publish(make_publication(channel, payload), history, std::move(done));
  });
}

std::error_code send_to_node(Broker& broker, const std::string& node) {
  auto p = std::make_shared<const Publication>(make_publication("user:1", "direct"));
  return await_result<std::monostate>([&](auto done) {
           broker.publish_to_node(node, p, [done](std::error_code ec) { done(ec, {}); });
         })
      .first;
}

// A server of the test's own and a node "n1" started on it.
class RedisBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { broker_.start("n1", recorder_); }

  RedisServerProcess server_ = RedisServerProcess::start();
  std::shared_ptr<RedisContext> context_ = started_context(server_.port(), system_now());
  Recorder recorder_;  // before the broker: outlives it
  RedisBroker broker_{context_};
};

TEST_F(RedisBrokerTest, ARedisRestartResubscribesReportsEachChannelAndStartsNewEpochs) {
  ASSERT_FALSE(subscribe(broker_, "x"));
  ASSERT_FALSE(subscribe(broker_, "y"));
  const auto [ec, before] = publish(broker_, "x", "before");
  ASSERT_FALSE(ec);
  ASSERT_TRUE(eventually([&] { return recorder_.publications().size() == 1; }));

  server_.kill();
  ASSERT_TRUE(eventually([&] { return !context_->ready(0); }));
  server_.restart();
  ASSERT_TRUE(eventually([&] { return recorder_.restored().size() == 2; }));
  auto restored = recorder_.restored();
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(broker_.stats().subscriptions_restored.load(), 2u);

  // Deliveries resume, under a new epoch: the node's old position is not recovered.
  ASSERT_TRUE(eventually([&] { return context_->ready(0); }));
  const auto [after_ec, after] = publish(broker_, "x", "after");
  ASSERT_FALSE(after_ec) << after_ec.message();
  EXPECT_EQ(after->offset, 1u);
  EXPECT_NE(after->epoch, before->epoch);
  ASSERT_TRUE(eventually([&] { return recorder_.publications().size() == 2; }));
  EXPECT_EQ(recorder_.publications()[1]->epoch, after->epoch);
  RedisHistory history(context_);
  // A copy: Clang 14 cannot capture a structured binding in a lambda.
  const auto before_epoch = before->epoch;
  const auto [read_ec, result] = await_result<HistoryResult>([&](auto done) {
    history.read("x", StreamPosition{1, before_epoch}, 100, std::move(done));
  });
  ASSERT_FALSE(read_ec);
  EXPECT_FALSE(result.recovered);
  EXPECT_EQ(result.position, (StreamPosition{1, after->epoch}));
  // The node channel is subscribed again too (not reported: nothing to recover there).
  EXPECT_TRUE(eventually([&] { return !send_to_node(broker_, "n1"); }));
  EXPECT_EQ(recorder_.restored().size(), 2u);
}

TEST_F(RedisBrokerTest, PublishesWithHistoryAfterTheScriptCacheWasFlushed) {
  ASSERT_FALSE(subscribe(broker_, "ch"));
  ASSERT_FALSE(publish(broker_, "ch", "1").first);
  ASSERT_FALSE(run_command(*context_, 0, {"SCRIPT", "FLUSH"}).first);
  const auto [ec, second] = publish(broker_, "ch", "2");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(second->offset, 2u);
  ASSERT_TRUE(eventually([&] { return recorder_.publications().size() == 2; }));
  EXPECT_EQ(recorder_.publications()[1]->payload, "2");
  EXPECT_EQ(recorder_.publications()[1]->offset, 2u);
}

// The rule: every key the engine writes expires by itself (Redis TTL = the logical
// lifetime + gc_slack), so nothing is left behind by channels and nodes that went away.
TEST_F(RedisBrokerTest, EveryKeyTheBrokerAndTheHistoryWriteHasATtl) {
  RedisHistory history(context_);
  ASSERT_FALSE(publish(broker_, "kept", "1", kKeep).first);
  ASSERT_FALSE(publish(broker_, "ephemeral", "1", kNoHistory).first);
  ASSERT_FALSE(await_result<PublicationPtr>([&](auto done) {
                 history.append(make_publication("sized-0", "1"), kNoHistory, std::move(done));
               }).first);
  ASSERT_FALSE(await_result<HistoryResult>([&](auto done) {
                 history.read("fresh", std::nullopt, 10, std::move(done));
               }).first);

  auto keys = testing::keys_under(*context_, 0, testing::kTestPrefix);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"t:hm:fresh", "t:hm:kept", "t:hm:sized-0", "t:hs:kept",
                                            "t:nd:n1"}));
  // The longest logical lifetime here: a stream started by read() (5 min by default).
  const auto longest = HistoryOptions{}.ttl + context_->options().gc_slack;
  for (const auto& key : keys) {
    const auto [ec, ttl] = run_command(*context_, 0, {"PTTL", key});
    ASSERT_FALSE(ec);
    EXPECT_GT(ttl.integer, 0) << key;
    EXPECT_LE(ttl.integer, longest.count()) << key;
  }
}

TEST_F(RedisBrokerTest, IdempotencyKeysAreWrittenLastExpireByThemselvesAndStayHere) {
  ASSERT_FALSE(subscribe(broker_, "ch"));
  ASSERT_FALSE(subscribe(broker_, "$broadcast"));
  auto keyed = [](const std::string& channel) {
    Publication p = make_publication(channel, "once");
    p.idempotency_key = "k";
    p.dedupe_window = 2s;
    return p;
  };
  auto publish_keyed = [&](const std::string& channel, const HistoryOptions& history) {
    return await_result<PublicationPtr>(
        [&](auto done) { broker_.publish(keyed(channel), history, std::move(done)); });
  };
  // The stream is live, then its key holds a string: the next append fails at XADD, after the
  // script checked the idempotency key, and must not have written it.
  ASSERT_FALSE(publish(broker_, "ch", "0").first);
  ASSERT_FALSE(run_command(*context_, 0, {"SET", "t:hs:ch", "not a stream"}).first);
  EXPECT_TRUE(publish_keyed("ch", kKeep).first);
  EXPECT_EQ(run_command(*context_, 0, {"EXISTS", "t:hr:2:ch:k"}).second.integer, 0);
  ASSERT_FALSE(run_command(*context_, 0, {"DEL", "t:hs:ch"}).first);

  for (const HistoryOptions& history : {kKeep, kNoHistory}) {
    const std::string channel = history.size > 0 ? "ch" : "$broadcast";
    const auto [ec1, first] = publish_keyed(channel, history);
    const auto [ec2, again] = publish_keyed(channel, history);
    ASSERT_FALSE(ec1) << ec1.message();
    ASSERT_FALSE(ec2) << ec2.message();
    EXPECT_FALSE(first->duplicate) << channel;
    EXPECT_TRUE(again->duplicate) << channel;
    EXPECT_EQ(again->offset, first->offset) << channel;
  }
  // Each key lives for its window + gc_slack in Redis (the window itself is logical).
  const auto longest = std::chrono::milliseconds(2s) + context_->options().gc_slack;
  for (const char* key : {"t:hr:2:ch:k", "t:hr:10:$broadcast:k"}) {
    const auto [ec, ttl] = run_command(*context_, 0, {"PTTL", key});
    ASSERT_FALSE(ec);
    EXPECT_GT(ttl.integer, 0) << key;
    EXPECT_LE(ttl.integer, longest.count()) << key;
  }
  // Delivered once each (and the first plain one), without the key: no receiver needs it.
  ASSERT_TRUE(eventually([&] { return recorder_.publications().size() == 3; }));
  std::this_thread::sleep_for(kSettle);
  ASSERT_EQ(recorder_.publications().size(), 3u);
  for (const auto& p : recorder_.publications()) EXPECT_TRUE(p->idempotency_key.empty());
}

TEST_F(RedisBrokerTest, WhileRedisIsDownEveryCallFailsOnce) {
  ASSERT_FALSE(subscribe(broker_, "ch"));
  server_.kill();
  ASSERT_TRUE(eventually([&] { return !context_->ready(0); }));

  CompletionLog publishes, subscribes;
  auto p = std::make_shared<const Publication>(make_publication("ch", "x"));
  broker_.publish(*p, kKeep, publishes.result<PublicationPtr>());
  broker_.publish(*p, kNoHistory, publishes.result<PublicationPtr>());
  broker_.publish_to_node("n1", p, publishes.completion());
  broker_.subscribe("other", subscribes.completion());
  ASSERT_TRUE(publishes.wait_for(3));
  ASSERT_TRUE(subscribes.wait_for(1));
  std::this_thread::sleep_for(kSettle);
  const auto errors = publishes.errors();
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& ec : errors) EXPECT_EQ(ec, EngineErrc::unavailable) << ec.message();
  // `unavailable` once the subscriber connection saw the loss too; `timeout` if the SUBSCRIBE
  // was still written to the dead socket. Either way an error, once.
  ASSERT_EQ(subscribes.errors().size(), 1u);
  EXPECT_TRUE(subscribes.errors()[0]);
}

TEST(RedisBroker, StartsAtOnceWithRedisDownAndCatchesUpWhenItComes) {
  auto server = RedisServerProcess::start();
  server.kill();
  auto context = started_context(server.port(), system_now(), /*wait_ready=*/false);
  Recorder recorder;
  RedisBroker broker(context);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(broker.start("n1", recorder));
  // No wait when Redis is unreachable (the bounded wait is connect_timeout + 2 × 4 s here):
  // 2 s only has to be far below that.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(subscribe(broker, "ch"), EngineErrc::unavailable);

  server.restart();
  ASSERT_TRUE(eventually([&] { return !subscribe(broker, "ch"); }));
  auto other_context = started_context(server.port(), system_now());
  Recorder other_recorder;
  RedisBroker other(other_context);
  other.start("n2", other_recorder);
  // The node channel was subscribed when the connection came up.
  ASSERT_TRUE(eventually([&] { return !send_to_node(other, "n1"); }));
  ASSERT_TRUE(eventually([&] { return !recorder.node_messages().empty(); }));
  ASSERT_FALSE(publish(other, "ch", "hello").first);
  ASSERT_TRUE(eventually([&] { return recorder.publications().size() == 1; }));
}

TEST(RedisBroker, ATakenNodeIdThrowsAndIsFreeAgainAfterAnOrderlyStop) {
  auto server = RedisServerProcess::start();
  Recorder first_recorder, second_recorder, third_recorder;
  auto first_context = started_context(server.port(), system_now());
  auto first = std::make_unique<RedisBroker>(first_context);
  first->start("n1", first_recorder);

  auto second_context = started_context(server.port(), system_now());
  RedisBroker second(second_context);
  EXPECT_THROW(second.start("n1", second_recorder), std::invalid_argument);
  EXPECT_EQ(subscribe(second, "ch"), EngineErrc::not_started);
  // The node channel stays the first node's.
  ASSERT_FALSE(send_to_node(*first, "n1"));
  ASSERT_TRUE(eventually([&] { return first_recorder.node_messages().size() == 1; }));
  std::this_thread::sleep_for(kSettle);
  EXPECT_TRUE(second_recorder.node_messages().empty());

  first.reset();  // releases the id (not waited for: wait for the key to go)
  ASSERT_TRUE(eventually([&] {
    return run_command(*second_context, 0, {"EXISTS", "t:nd:n1"}).second.integer == 0;
  }));
  auto third_context = started_context(server.port(), system_now());
  RedisBroker third(third_context);
  EXPECT_NO_THROW(third.start("n1", third_recorder));
  EXPECT_FALSE(send_to_node(third, "n1"));
}

TEST(RedisBroker, AStoppedEngineHasReleasedItsNodeIdWhenStopReturns) {
  // A server's orderly stop stops the context right away: the release must have gone out and
  // been answered before the connections close, or a restart with the same id is refused.
  auto server = RedisServerProcess::start();
  Recorder first_recorder, second_recorder;
  auto first_context = started_context(server.port(), system_now());
  RedisBroker first(first_context);
  first.start("n1", first_recorder);
  auto probe = started_context(server.port(), system_now());
  ASSERT_EQ(run_command(*probe, 0, {"EXISTS", "t:nd:n1"}).second.integer, 1);
  first_context->stop();
  EXPECT_EQ(run_command(*probe, 0, {"EXISTS", "t:nd:n1"}).second.integer, 0);
  auto second_context = started_context(server.port(), system_now());
  RedisBroker second(second_context);
  EXPECT_NO_THROW(second.start("n1", second_recorder));
}

TEST_F(RedisBrokerTest, MessagesThatDoNotDecodeAreDroppedAndCounted) {
  ASSERT_FALSE(subscribe(broker_, "ch"));
  ASSERT_EQ(run_command(*context_, 0, {"PUBLISH", "t:c:ch", "not ours"}).second.integer, 1);
  ASSERT_EQ(run_command(*context_, 0, {"PUBLISH", "t:n:n1", "1:e:1"}).second.integer, 1);
  ASSERT_FALSE(publish(broker_, "ch", "valid").first);
  ASSERT_TRUE(eventually([&] { return recorder_.publications().size() == 1; }));
  EXPECT_EQ(recorder_.publications()[0]->payload, "valid");
  EXPECT_TRUE(recorder_.node_messages().empty());
  EXPECT_EQ(broker_.stats().undecodable.load(), 2u);
}

TEST_F(RedisBrokerTest, PublishToAnUnknownNodeFailsWithUnknownNode) {
  EXPECT_EQ(send_to_node(broker_, "nobody"), EngineErrc::unknown_node);
}

TEST(RedisBroker, CallsBeforeStartFailWithNotStarted) {
  auto server = RedisServerProcess::start();
  auto context = started_context(server.port(), system_now());
  RedisBroker broker(context);
  EXPECT_EQ(subscribe(broker, "ch"), EngineErrc::not_started);
  EXPECT_EQ(publish(broker, "ch", "x").first, EngineErrc::not_started);
  EXPECT_EQ(publish(broker, "ch", "x", kNoHistory).first, EngineErrc::not_started);
  EXPECT_EQ(send_to_node(broker, "n1"), EngineErrc::not_started);
}

TEST(RedisBroker, DestroyedWithCallsInFlightEachCompletesOnce) {
  auto server = RedisServerProcess::start();
  constexpr std::size_t kCalls = 50;
  auto context = started_context(server.port(), system_now());
  CompletionLog log;
  {
    Recorder recorder;
    auto broker = std::make_unique<RedisBroker>(context);
    broker->start("n1", recorder);
    for (std::size_t i = 0; i < kCalls; ++i) {
      broker->subscribe("ch" + std::to_string(i), log.completion());
      broker->publish(make_publication("ch", "x"), kKeep, log.result<PublicationPtr>());
    }
    broker.reset();  // before the recorder: deliveries stop with it
  }
  ASSERT_TRUE(log.wait_for(2 * kCalls));
  {
    // The context stops first (the node stops the engine after its workers, and destroys it
    // later): its stop closes the subscriptions, completing what awaits confirmation.
    Recorder recorder;
    auto broker = std::make_unique<RedisBroker>(context);
    broker->start("n2", recorder);
    ASSERT_FALSE(subscribe(*broker, "ch"));
    broker->subscribe("pending", log.completion());
    context->stop();
    broker->subscribe("ch", log.completion());  // refused at once: the context stopped
    broker.reset();
  }
  const auto errors = log.errors();  // no wait: everything ran before stop() returned
  ASSERT_EQ(errors.size(), 2 * kCalls + 2);
  EXPECT_EQ(errors.back(), EngineErrc::unavailable);
  std::this_thread::sleep_for(kSettle);
  EXPECT_EQ(log.errors().size(), 2 * kCalls + 2);
}

}  // namespace
}  // namespace switchboard::engine::redis
