// RedisScript: EVALSHA with the locally computed SHA1, one reload on NOSCRIPT.
#include "redis_script.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <vector>

#include "redis_server_process.hpp"
#include "redis_test_support.hpp"

namespace switchboard::engine::redis {
namespace {

using test::RedisServerProcess;
using testing::call;
using testing::connect;
using testing::local_options;
using testing::run_until;

class RedisScriptTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(connect(io_, conn_)); }

  testing::Result run(const RedisScript& script, std::initializer_list<std::string_view> keys,
                      std::initializer_list<std::string_view> args) {
    testing::Result r;
    script.run(conn_, std::span(keys.begin(), keys.size()), std::span(args.begin(), args.size()),
               [&r](std::error_code ec, RedisReply reply) {
                 r = {true, ec, std::move(reply)};
               });
    run_until(io_, [&] { return r.completed; });
    return r;
  }

  RedisServerProcess server_ = RedisServerProcess::start();
  boost::asio::io_context io_;
  RedisConnection conn_{io_.get_executor(), local_options(server_.port())};
  RedisScript concat_{"return KEYS[1] .. ':' .. ARGV[1]"};
};

TEST_F(RedisScriptTest, Sha1IsWhatRedisComputes) {
  testing::Result r;
  concat_.load(conn_, [&r](std::error_code ec, RedisReply reply) {
    r = {true, ec, std::move(reply)};
  });
  ASSERT_TRUE(run_until(io_, [&] { return r.completed; }));
  ASSERT_FALSE(r.ec) << to_string(r.reply);
  EXPECT_EQ(r.reply.str, concat_.sha1());
}

TEST_F(RedisScriptTest, RunsAScriptRedisNeverSawByLoadingItOnce) {
  auto r = run(concat_, {"k"}, {std::string_view("v\0w", 3)});
  ASSERT_FALSE(r.ec) << to_string(r.reply);
  EXPECT_EQ(r.reply.str, std::string("k:v\0w", 5));
  EXPECT_EQ(concat_.reloads(), 1u);  // the first EVALSHA met NOSCRIPT
  r = run(concat_, {"a"}, {"b"});
  EXPECT_EQ(r.reply.str, "a:b");
  EXPECT_EQ(concat_.reloads(), 1u) << "loaded now: no second reload";
}

TEST_F(RedisScriptTest, ReloadsAfterScriptFlush) {
  ASSERT_FALSE(run(concat_, {"k"}, {"1"}).ec);
  const auto reloads = concat_.reloads();
  ASSERT_FALSE(call(io_, conn_, {"SCRIPT", "FLUSH"}).ec);
  auto r = run(concat_, {"k"}, {"2"});
  ASSERT_FALSE(r.ec) << to_string(r.reply);
  EXPECT_EQ(r.reply.str, "k:2");
  EXPECT_EQ(concat_.reloads(), reloads + 1);
}

TEST_F(RedisScriptTest, ScriptErrorsAreErrorReplies) {
  RedisScript failing("return redis.error_reply('MYERR nope')");
  auto r = run(failing, {}, {});
  EXPECT_EQ(r.ec, RedisErrc::error_reply);
  EXPECT_EQ(r.reply.str.rfind("MYERR", 0), 0u) << r.reply.str;
}

TEST_F(RedisScriptTest, ARetriedCallCompletesAfterLaterCalls) {
  // The documented order caveat: after SCRIPT FLUSH the first call is retried behind the
  // call issued after it.
  ASSERT_FALSE(run(concat_, {"k"}, {"0"}).ec);
  ASSERT_FALSE(call(io_, conn_, {"SCRIPT", "FLUSH"}).ec);
  std::vector<std::string> order;
  concat_.run(conn_, std::vector<std::string_view>{"first"}, std::vector<std::string_view>{"1"},
              [&](std::error_code, RedisReply reply) { order.push_back(reply.str); });
  conn_.command({"ECHO", "later"},
                [&](std::error_code, RedisReply reply) { order.push_back(reply.str); });
  ASSERT_TRUE(run_until(io_, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<std::string>{"later", "first:1"}));
}

}  // namespace
}  // namespace switchboard::engine::redis
