// RedisSubscriber against a real redis-server: confirmations, deliveries, unsubscribe,
// resubscription after a restart, fail-fast while down, confirmation deadlines, the liveness
// probe.
#include "redis_subscriber.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "redis_server_process.hpp"
#include "redis_test_support.hpp"
#include "server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::call;
using testing::connect;
using testing::local_options;
using testing::run_until;

struct Delivery {
  std::string pattern, channel, payload;
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

class RedisSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sub_.on_message([this](std::string_view ch, std::string_view payload) {
      got_.push_back({"", std::string(ch), std::string(payload)});
    });
    sub_.on_pmessage(
        [this](std::string_view pattern, std::string_view ch, std::string_view payload) {
          got_.push_back({std::string(pattern), std::string(ch), std::string(payload)});
        });
    sub_.on_resubscribed([this](std::string_view name, bool pattern) {
      resubscribed_.insert({std::string(name), pattern});
    });
    sub_.start();
    ASSERT_TRUE(run_until(io_, [&] { return sub_.connection().state() == RedisState::connected; }));
    ASSERT_TRUE(connect(io_, pub_));
  }

  // Subscribes (or psubscribes) and runs until the call completed; returns its error.
  std::error_code subscribe(std::string_view name, bool pattern = false) {
    std::optional<std::error_code> result;
    auto done = [&](std::error_code ec) { result = ec; };
    pattern ? sub_.psubscribe(name, done) : sub_.subscribe(name, done);
    run_until(io_, [&] { return result.has_value(); });
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  // PUBLISH through the command connection; returns the number of receivers.
  std::int64_t publish(std::string_view channel, std::string_view payload) {
    auto r = call(io_, pub_, {"PUBLISH", channel, payload});
    EXPECT_FALSE(r.ec) << r.ec.message();
    return r.reply.integer;
  }

  RedisServerProcess server_ = RedisServerProcess::start();
  boost::asio::io_context io_;
  RedisSubscriber sub_{io_.get_executor(), local_options(server_.port())};
  RedisConnection pub_{io_.get_executor(), local_options(server_.port())};
  std::vector<Delivery> got_;
  std::set<std::pair<std::string, bool>> resubscribed_;
};

TEST_F(RedisSubscriberTest, SubscribeCompletesOnConfirmationThenDelivers) {
  bool done = false;
  sub_.subscribe("news", [&](std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    // Confirmed means Redis counts us as a receiver from now on.
    done = true;
  });
  EXPECT_FALSE(done);
  EXPECT_FALSE(sub_.subscribed("news"));
  ASSERT_TRUE(run_until(io_, [&] { return done; }));
  EXPECT_TRUE(sub_.subscribed("news"));
  EXPECT_EQ(publish("news", std::string("bin\0ary", 7)), 1);
  ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 1; }));
  EXPECT_EQ(got_[0], (Delivery{"", "news", std::string("bin\0ary", 7)}));
  EXPECT_EQ(sub_.stats().messages, 1u);
}

TEST_F(RedisSubscriberTest, PatternSubscription) {
  ASSERT_FALSE(subscribe("room.*", true));
  EXPECT_TRUE(sub_.subscribed("room.*", true));
  EXPECT_EQ(publish("room.42", "hi"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 1; }));
  EXPECT_EQ(got_[0], (Delivery{"room.*", "room.42", "hi"}));
}

TEST_F(RedisSubscriberTest, SubscriptionsAreASet) {
  int done = 0;
  sub_.subscribe("a", [&](std::error_code ec) { done += !ec; });
  sub_.subscribe("a", [&](std::error_code ec) { done += !ec; });  // joins the pending one
  ASSERT_TRUE(run_until(io_, [&] { return done == 2; }));
  ASSERT_FALSE(subscribe("a"));  // already confirmed: at once
  EXPECT_EQ(publish("a", "x"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 1; }));
  testing::run_for(io_, 50ms);
  EXPECT_EQ(got_.size(), 1u) << "delivered once";
}

TEST_F(RedisSubscriberTest, UnsubscribeCompletesOnConfirmationAndStopsDeliveries) {
  ASSERT_FALSE(subscribe("gone"));
  bool done = false;
  sub_.unsubscribe("gone", [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    done = true;
  });
  EXPECT_FALSE(sub_.subscribed("gone"));
  ASSERT_TRUE(run_until(io_, [&] { return done; }));
  EXPECT_EQ(publish("gone", "x"), 0) << "Redis no longer counts us";
  // Unsubscribing what is not subscribed completes at once.
  done = false;
  sub_.unsubscribe("never", [&](std::error_code ec) { done = !ec; });
  ASSERT_TRUE(run_until(io_, [&] { return done; }));
}

// Calls on one name while the previous one's confirmation is still on its way are pipelined
// (one connection: Redis answers them in order). Whatever the sequence, the last call wins:
// what Redis counts, what subscribed() says and what is delivered agree with it.
TEST_F(RedisSubscriberTest, ASubscribeRightBehindAnUnsubscribeEndsSubscribed) {
  ASSERT_FALSE(subscribe("flip"));
  std::vector<std::pair<std::string, std::error_code>> done;
  sub_.unsubscribe("flip", [&](std::error_code ec) { done.emplace_back("unsubscribe", ec); });
  sub_.subscribe("flip", [&](std::error_code ec) { done.emplace_back("subscribe", ec); });
  ASSERT_TRUE(run_until(io_, [&] { return done.size() == 2; }));
  EXPECT_EQ(done, (std::vector<std::pair<std::string, std::error_code>>{{"unsubscribe", {}},
                                                                       {"subscribe", {}}}));
  EXPECT_TRUE(sub_.subscribed("flip"));
  EXPECT_EQ(publish("flip", "x"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 1; }));
  EXPECT_EQ(got_[0], (Delivery{"", "flip", "x"}));
}

TEST_F(RedisSubscriberTest, AnUnsubscribeRightBehindAnUnconfirmedSubscribeEndsUnsubscribed) {
  int done = 0;
  sub_.subscribe("flop", [&](std::error_code ec) { done += !ec; });
  sub_.unsubscribe("flop", [&](std::error_code ec) { done += !ec; });
  ASSERT_TRUE(run_until(io_, [&] { return done == 2; }));
  EXPECT_FALSE(sub_.subscribed("flop"));
  EXPECT_EQ(publish("flop", "x"), 0) << "Redis no longer counts us";
}

TEST_F(RedisSubscriberTest, SubscribeUnsubscribeSubscribeInFlightTogetherEndsSubscribed) {
  for (int round = 0; round < 20; ++round) {
    const std::string name = "churn" + std::to_string(round % 2);
    int done = 0;
    sub_.subscribe(name, [&](std::error_code ec) { done += !ec; });
    sub_.unsubscribe(name, [&](std::error_code ec) { done += !ec; });
    sub_.subscribe(name, [&](std::error_code ec) { done += !ec; });
    ASSERT_TRUE(run_until(io_, [&] { return done == 3; })) << "round " << round;
    EXPECT_TRUE(sub_.subscribed(name)) << "round " << round;
    EXPECT_EQ(publish(name, std::to_string(round)), 1) << "round " << round;
    ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 1; })) << "round " << round;
    EXPECT_EQ(got_[0], (Delivery{"", name, std::to_string(round)}));
    got_.clear();
    bool left = false;
    sub_.unsubscribe(name, [&](std::error_code ec) { left = !ec; });
    ASSERT_TRUE(run_until(io_, [&] { return left; }));
  }
  EXPECT_EQ(sub_.stats().confirmation_timeouts, 0u);
}

TEST_F(RedisSubscriberTest, MessagesInFlightAfterUnsubscribeAreDroppedAndCounted) {
  ASSERT_FALSE(subscribe("busy"));
  // Published before our UNSUBSCRIBE reaches Redis: they arrive, but nobody wants them.
  pub_.command({"PUBLISH", "busy", "1"}, nullptr);
  pub_.command({"PUBLISH", "busy", "2"}, nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return pub_.stats().in_flight == 0; }));
  sub_.unsubscribe("busy", nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return sub_.stats().dropped_unwanted == 2; }));
  EXPECT_TRUE(got_.empty());
}

TEST_F(RedisSubscriberTest, ResubscribesEverythingAfterARestart) {
  ASSERT_FALSE(subscribe("news"));
  ASSERT_FALSE(subscribe("room.*", true));
  server_.kill();
  ASSERT_TRUE(run_until(io_, [&] { return sub_.connection().state() != RedisState::connected; }));
  EXPECT_FALSE(sub_.subscribed("news"));
  // While down: fail fast, nothing remembered.
  EXPECT_EQ(subscribe("while-down"), RedisErrc::not_connected);
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return resubscribed_.size() == 2; }));
  EXPECT_EQ(resubscribed_,
            (std::set<std::pair<std::string, bool>>{{"news", false}, {"room.*", true}}));
  EXPECT_TRUE(sub_.subscribed("news"));
  EXPECT_TRUE(sub_.subscribed("room.*", true));
  EXPECT_FALSE(sub_.subscribed("while-down"));
  EXPECT_EQ(sub_.stats().resubscribed, 2u);
  ASSERT_TRUE(run_until(io_, [&] { return pub_.state() == RedisState::connected; }));
  EXPECT_EQ(publish("news", "after"), 1);
  EXPECT_EQ(publish("room.1", "after"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return got_.size() == 2; }));
  EXPECT_EQ(got_[0], (Delivery{"", "news", "after"}));
  EXPECT_EQ(got_[1], (Delivery{"room.*", "room.1", "after"}));
}

TEST_F(RedisSubscriberTest, ManyChannelsResubscribeInBatches) {
  constexpr int kChannels = 1200;  // more than one SUBSCRIBE batch (512)
  int done = 0;
  for (int i = 0; i < kChannels; ++i)
    sub_.subscribe("c" + std::to_string(i), [&](std::error_code ec) { done += !ec; });
  ASSERT_TRUE(run_until(io_, [&] { return done == kChannels; }));
  const auto commands = sub_.connection().stats().commands;
  server_.kill();
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return resubscribed_.size() == kChannels; }));
  // Login (PING) plus ceil(1200 / 512) = 3 SUBSCRIBE commands.
  EXPECT_EQ(sub_.connection().stats().commands - commands, 1u + 3u);
  ASSERT_TRUE(run_until(io_, [&] { return pub_.state() == RedisState::connected; }));
  EXPECT_EQ(publish("c1199", "x"), 1);
}

TEST_F(RedisSubscriberTest, AnUnconfirmedSubscribeTimesOutAndIsForgotten) {
  server_.pause();
  std::optional<std::error_code> result;
  sub_.subscribe("stuck", [&](std::error_code ec) { result = ec; });
  // command_timeout is 3 s in these tests; the bound leaves room for a loaded machine.
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  EXPECT_EQ(*result, RedisErrc::timeout);
  EXPECT_EQ(sub_.stats().confirmation_timeouts, 1u);
  server_.resume();
  ASSERT_TRUE(run_until(io_, [&] { return sub_.connection().state() == RedisState::connected; }));
  testing::run_for(io_, 100ms);
  EXPECT_TRUE(resubscribed_.empty()) << "a subscribe that failed is not resubscribed";
  EXPECT_FALSE(sub_.subscribed("stuck"));
}

TEST_F(RedisSubscriberTest, AFrozenServerResetsAnIdleSubscriberThroughTheProbe) {
  ASSERT_FALSE(subscribe("a"));
  server_.pause();  // SIGSTOP: the socket stays open, nothing answers, nothing is sent
  // Nothing awaits a confirmation: only the probe (every ping_interval, 1 s) can notice,
  // within 1 s + command_timeout (3 s); the bound leaves room for a loaded machine.
  ASSERT_TRUE(run_until(io_, [&] { return sub_.connection().state() != RedisState::connected; },
                        10s));
  EXPECT_EQ(sub_.stats().confirmation_timeouts, 1u);
  EXPECT_GE(sub_.stats().probes, 1u);
  server_.resume();
  ASSERT_TRUE(run_until(io_, [&] { return sub_.subscribed("a"); }));
  // The publishing connection found the freeze too (its idle PING) and reconnects.
  ASSERT_TRUE(run_until(io_, [&] { return pub_.state() == RedisState::connected; }));
  EXPECT_EQ(publish("a", "after"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return !got_.empty(); }));
  EXPECT_EQ(got_.back(), (Delivery{"", "a", "after"}));
}

TEST_F(RedisSubscriberTest, TheProbeIsNeitherDeliveredNorResubscribed) {
  ASSERT_FALSE(subscribe("a"));
  testing::run_for(io_, 2500ms);  // two or three probes while idle
  EXPECT_GE(sub_.stats().probes, 2u);
  EXPECT_EQ(sub_.stats().confirmation_timeouts, 0u);
  EXPECT_TRUE(got_.empty());
  server_.kill();
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return sub_.subscribed("a"); }));
  testing::run_for(io_, 1500ms);  // a probe on the new connection too
  EXPECT_EQ(resubscribed_, (std::set<std::pair<std::string, bool>>{{"a", false}}));
  EXPECT_EQ(sub_.stats().confirmation_timeouts, 0u);
}

TEST(RedisSubscriberDown, SubscribeWhileDownFailsFast) {
  boost::asio::io_context io;
  RedisSubscriber sub(io.get_executor(), local_options(test::pick_free_port()));
  sub.start();
  ASSERT_TRUE(run_until(io, [&] { return sub.connection().state() == RedisState::down; }));
  std::optional<std::error_code> result;
  sub.subscribe("x", [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(
      io, [&] { return result.has_value(); }, 1000ms));
  EXPECT_EQ(*result, RedisErrc::not_connected);
  EXPECT_EQ(sub.stats().rejected_not_connected, 1u);
}

}  // namespace
}  // namespace switchboard::engine::redis
