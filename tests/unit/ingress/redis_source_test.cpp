// RedisIngressSource against a real redis-server: exact channels and patterns reach their
// rules (two rules on one channel both), every subscription is restored after a restart with
// the connection counted, a server down at start is subscribed once it is up, and health
// follows.
#include "redis_source.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "redis_server_process.hpp"
#include "redis_test_support.hpp"

namespace switchboard::ingress {
namespace {

using engine::redis::RedisConnection;
using switchboard::test::RedisServerProcess;
using engine::redis::testing::call;
using engine::redis::testing::connect;
using engine::redis::testing::local_options;
using engine::redis::testing::run_until;

class RecordingSink final : public IngressSink {
 public:
  void deliver(IngressDelivery d, Done done) override {
    got.push_back(d.name + " " + d.publication.payload);
    done({}, false);
  }
  std::vector<std::string> got;
};

config::IngressRuleConfig rule(std::string name, std::vector<std::string> channels,
                               std::vector<std::string> patterns, std::string target) {
  config::IngressRuleConfig r;
  r.name = std::move(name);
  r.channels = std::move(channels);
  r.patterns = std::move(patterns);
  r.target = config::IngressTargetKind::channel;
  r.channel = std::move(target);
  r.consumers = config::IngressConsumers::every;
  return r;
}

std::vector<CompiledRule> three_rules() {
  std::vector<CompiledRule> rules;
  rules.emplace_back(rule("exact", {"news"}, {}, "news"), 1024);
  rules.emplace_back(rule("also-news", {"news"}, {}, "copy:{0}"), 1024);
  rules.emplace_back(rule("conv", {}, {"ws:conv:*"}, "conv:{1}"), 1024);
  return rules;
}

class RedisSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<RedisIngressSource> make_source() {
    auto source = std::make_unique<RedisIngressSource>(
        io_.get_executor(), local_options(server_.port()).endpoint,
        std::chrono::milliseconds(2000), handoff_);
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      source->add(i, rules_[i].config().channels, rules_[i].config().patterns);
    }
    return source;
  }

  // PUBLISH through a command connection: the number of receivers.
  std::int64_t publish(std::string_view channel, std::string_view payload) {
    RedisConnection pub(io_.get_executor(), local_options(server_.port()));
    pub.start();
    if (!connect(io_, pub)) return -1;
    auto r = call(io_, pub, {"PUBLISH", channel, payload});
    return r.ec ? -1 : r.reply.integer;
  }

  RedisServerProcess server_ = RedisServerProcess::start();
  boost::asio::io_context io_;
  const std::vector<CompiledRule> rules_ = three_rules();
  RecordingSink sink_;
  Handoff handoff_{io_.get_executor(), rules_, sink_, 100};
};

TEST_F(RedisSourceTest, ChannelsAndPatternsReachTheirRules) {
  auto source = make_source();
  EXPECT_FALSE(source->up());
  source->start();
  ASSERT_TRUE(run_until(io_, [&] { return source->up(); }));
  EXPECT_EQ(source->health().detail, "");
  EXPECT_EQ(publish("news", "{\"n\":1}"), 1);  // one connection, whatever the rules
  EXPECT_EQ(publish("ws:conv:c-9", R"({"type":"message.new","payload":{"x":1}})"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.got.size() == 3; }));
  EXPECT_EQ(sink_.got, (std::vector<std::string>{"news {\"n\":1}", "copy:news {\"n\":1}",
                                                 "conv:c-9 {\"x\":1}"}));
  EXPECT_EQ(handoff_.counters().rule(2).received, 1u);
  EXPECT_EQ(source->connects(), 1u);
}

TEST_F(RedisSourceTest, ARestartedServerIsSubscribedAgain) {
  auto source = make_source();
  source->start();
  ASSERT_TRUE(run_until(io_, [&] { return source->up(); }));
  server_.kill();
  ASSERT_TRUE(run_until(io_, [&] { return !source->up(); }));
  EXPECT_FALSE(source->health().up);
  EXPECT_FALSE(source->health().detail.empty());
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return source->up(); }));
  EXPECT_EQ(source->connects(), 2u);
  EXPECT_EQ(publish("ws:conv:after", "{}"), 1);
  EXPECT_EQ(publish("news", "{}"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.got.size() == 3; }));
  EXPECT_EQ(sink_.got.front(), "conv:after {}");
}

TEST_F(RedisSourceTest, DownAtStartThenSubscribedOnceUp) {
  server_.stop();
  auto source = make_source();
  source->start();
  engine::redis::testing::run_for(io_, std::chrono::milliseconds(300));
  EXPECT_FALSE(source->up());
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return source->up(); }));
  EXPECT_EQ(publish("news", "{}"), 1);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.got.size() == 2; }));
}

TEST_F(RedisSourceTest, StopUnsubscribesByClosing) {
  auto source = make_source();
  source->start();
  ASSERT_TRUE(run_until(io_, [&] { return source->up(); }));
  source->stop();
  EXPECT_FALSE(source->up());
  engine::redis::testing::run_for(io_, std::chrono::milliseconds(100));
  EXPECT_EQ(publish("news", "{}"), 0);
}

}  // namespace
}  // namespace switchboard::ingress
