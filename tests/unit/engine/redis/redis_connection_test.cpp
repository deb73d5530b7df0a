// RedisConnection against a real, private redis-server: commands and replies, pipelining,
// the in-flight bound, login (AUTH, SELECT), and the measured loopback numbers.
#include "redis_connection.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "redis_server_process.hpp"
#include "redis_test_support.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::call;
using testing::connect;
using testing::local_options;
using testing::run_until;
using Type = RedisReply::Type;

class RedisConnectionTest : public ::testing::Test {
 protected:
  RedisServerProcess server_ = RedisServerProcess::start();
  boost::asio::io_context io_;
};

TEST_F(RedisConnectionTest, ConnectsAndReportsIt) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  int connected_calls = 0;
  std::vector<RedisState> states;
  conn.on_connected([&] { ++connected_calls; });
  conn.on_state_change([&](RedisState s) { states.push_back(s); });
  EXPECT_EQ(conn.state(), RedisState::down);  // not started
  ASSERT_TRUE(connect(io_, conn)) << conn.last_error_message();
  ASSERT_TRUE(run_until(io_, [&] { return connected_calls == 1; }));
  EXPECT_EQ(states, (std::vector<RedisState>{RedisState::connecting, RedisState::connected}));
  EXPECT_EQ(conn.stats().connects, 1u);
  EXPECT_FALSE(conn.last_error());
}

TEST_F(RedisConnectionTest, BinaryPayloadRoundTrips) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  ASSERT_TRUE(connect(io_, conn));
  const std::string key("bin\0key", 7);
  std::string value("a\0b\r\n$3\r\n\xff\x00z", 13);
  value += std::string(100000, '\0');  // larger than one read buffer of hiredis (16 KiB)
  auto set = call(io_, conn, {"SET", key, value});
  ASSERT_FALSE(set.ec) << set.ec.message() << " " << to_string(set.reply);
  EXPECT_EQ(set.reply.type, Type::status);
  EXPECT_TRUE(set.reply.is_text("OK"));
  auto get = call(io_, conn, {"GET", key});
  ASSERT_FALSE(get.ec);
  EXPECT_EQ(get.reply.type, Type::string);
  EXPECT_EQ(get.reply.str.size(), value.size());
  EXPECT_EQ(get.reply.str, value);
  auto empty = call(io_, conn, {"SET", "empty", ""});  // an empty argument is sent as $0
  ASSERT_FALSE(empty.ec);
  EXPECT_EQ(call(io_, conn, {"STRLEN", "empty"}).reply.integer, 0);
}

TEST_F(RedisConnectionTest, ConvertsEveryReplyType) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  ASSERT_TRUE(connect(io_, conn));
  auto incr = call(io_, conn, {"INCRBY", "n", "-5"});
  EXPECT_EQ(incr.reply.type, Type::integer);
  EXPECT_EQ(incr.reply.integer, -5);
  EXPECT_EQ(call(io_, conn, {"GET", "missing"}).reply.type, Type::nil);
  auto pong = call(io_, conn, {"PING"});
  EXPECT_EQ(pong.reply.type, Type::status);
  EXPECT_EQ(pong.reply.str, "PONG");
  // Nested arrays, with integers, strings and a nil inside.
  auto nested = call(io_, conn, {"EVAL", "return {1, {2, 'x'}}", "0"});
  ASSERT_FALSE(nested.ec) << to_string(nested.reply);
  EXPECT_EQ(to_string(nested.reply), "[(integer) 1, [(integer) 2, \"x\"]]");
  EXPECT_EQ(to_string(call(io_, conn, {"MGET", "missing", "n"}).reply), "[(nil), \"-5\"]");
  EXPECT_EQ(call(io_, conn, {"LRANGE", "nolist", "0", "-1"}).reply.type, Type::array);
}

TEST_F(RedisConnectionTest, ErrorReplyIsAnErrorCodeWithRedisText) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  ASSERT_TRUE(connect(io_, conn));
  call(io_, conn, {"SET", "s", "text"});
  auto r = call(io_, conn, {"INCR", "s"});
  EXPECT_EQ(r.ec, RedisErrc::error_reply);
  EXPECT_EQ(r.reply.type, Type::error);
  EXPECT_EQ(r.reply.str.rfind("ERR", 0), 0u) << r.reply.str;
  EXPECT_EQ(to_engine_error(r.ec), EngineErrc::unavailable);
  EXPECT_EQ(conn.stats().error_replies, 1u);
  // The connection is still fine.
  EXPECT_FALSE(call(io_, conn, {"PING"}).ec);
}

TEST_F(RedisConnectionTest, PubSubAndMonitorAreRefusedWithoutSending) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  ASSERT_TRUE(connect(io_, conn));
  const auto commands = conn.stats().commands;
  for (auto name : {"subscribe", "PSUBSCRIBE", "Unsubscribe", "punsubscribe", "MONITOR"}) {
    EXPECT_EQ(call(io_, conn, {name, "ch"}).ec, RedisErrc::unsupported_command) << name;
  }
  EXPECT_EQ(conn.stats().commands, commands);
  auto publish = call(io_, conn, {"PUBLISH", "ch", "x"});  // not a mode change: allowed
  EXPECT_FALSE(publish.ec);
  EXPECT_EQ(publish.reply.integer, 0);
}

TEST_F(RedisConnectionTest, CommandsOfOneLoopTurnGoOutInFewWritesAndReplyInOrder) {
  auto options = local_options(server_.port());
  options.ping_interval = 0ms;  // no idle PING in the count
  RedisConnection conn(io_.get_executor(), options);
  ASSERT_TRUE(connect(io_, conn));
  const auto writes_before = conn.stats().writes;
  constexpr int kCommands = 1000;
  std::vector<std::int64_t> replies;
  for (int i = 0; i < kCommands; ++i) {  // one loop turn: nothing runs io_ in between
    conn.command({"INCR", "counter"}, [&](std::error_code ec, RedisReply reply) {
      EXPECT_FALSE(ec) << ec.message();
      replies.push_back(reply.integer);
    });
  }
  EXPECT_EQ(conn.stats().writes, writes_before) << "nothing is written inside command()";
  ASSERT_TRUE(run_until(io_, [&] { return replies.size() == kCommands; }));
  const auto writes = conn.stats().writes - writes_before;
  std::cout << "[ measured ] " << kCommands << " pipelined INCR: " << writes << " write() calls\n";
  ::testing::Test::RecordProperty("pipelined_writes", static_cast<int>(writes));
  // ~30 KB of commands: one write, or a few when the socket buffer takes them in parts.
  // Writing per command would make 1000.
  EXPECT_LE(writes, 4u);
  for (int i = 0; i < kCommands; ++i)
    ASSERT_EQ(replies[i], i + 1) << "reply " << i << " out of order";
}

TEST_F(RedisConnectionTest, PingRoundTripOnLoopback) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  ASSERT_TRUE(connect(io_, conn));
  constexpr int kPings = 500;
  int done = 0;
  std::function<void()> next = [&] {
    conn.command({"PING"}, [&](std::error_code ec, RedisReply) {
      EXPECT_FALSE(ec);
      if (++done < kPings) next();
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  next();
  ASSERT_TRUE(run_until(io_, [&] { return done == kPings; }));
  const auto total = std::chrono::steady_clock::now() - t0;
  const double us = std::chrono::duration<double, std::micro>(total).count() / kPings;
  std::cout << "[ measured ] PING round trip on loopback: " << us << " us (mean of " << kPings
            << " sequential)\n";
  ::testing::Test::RecordProperty("ping_rtt_us", static_cast<int>(us));
  EXPECT_LT(us, 20000.0);  // a sanity bound only (20 ms): loopback is ~0.05 ms
}

TEST_F(RedisConnectionTest, OverTheInFlightBoundFailsAtOnceAndIsCounted) {
  auto options = local_options(server_.port());
  options.max_in_flight = 10;
  RedisConnection conn(io_.get_executor(), options);
  ASSERT_TRUE(connect(io_, conn));
  ASSERT_TRUE(run_until(io_, [&] { return conn.stats().in_flight == 0; }));
  server_.pause();  // the accepted commands cannot complete until resume()
  int ok = 0, rejected = 0;
  for (int i = 0; i < 15; ++i) {
    conn.command({"PING"}, [&](std::error_code ec, RedisReply) {
      if (!ec) ++ok;
      if (ec == RedisErrc::too_many_in_flight) ++rejected;
    });
  }
  EXPECT_EQ(rejected, 0) << "completions never run inside command()";
  ASSERT_TRUE(run_until(
      io_, [&] { return rejected == 5; }, 1000ms));
  EXPECT_EQ(ok, 0);  // the server is frozen: the rejections did not wait for Redis
  EXPECT_EQ(conn.stats().rejected_in_flight, 5u);
  EXPECT_EQ(conn.stats().in_flight, 10u);
  EXPECT_EQ(to_engine_error(make_error_code(RedisErrc::too_many_in_flight)),
            EngineErrc::unavailable);
  server_.resume();
  ASSERT_TRUE(run_until(io_, [&] { return ok == 10; }));
  EXPECT_FALSE(call(io_, conn, {"PING"}).ec) << "below the bound again";
}

// Every descriptor open, as "fd -> target", for a failure message.
std::vector<std::string> open_descriptors() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    out.push_back(e.path().filename().string() + " -> " +
                  std::filesystem::read_symlink(e.path(), ec).string());
  }
  return out;
}

TEST_F(RedisConnectionTest, NothingLeaksAndNoDescriptorIsClosedTwice) {
  {  // Warm-up: the io_context's reactor and the resolver's descriptors are created lazily.
    RedisConnection warm(io_.get_executor(), local_options(server_.port()));
    ASSERT_TRUE(connect(io_, warm));
  }
  testing::run_for(io_, 20ms);
  const auto before = open_descriptors();
  {
    RedisConnection conn(io_.get_executor(), local_options(server_.port()));
    ASSERT_TRUE(connect(io_, conn));
    // A write the kernel cannot take at once (the server is frozen, 20 MB exceed the socket
    // buffers): a write wait is pending when the connection dies, so the adapter outlives
    // hiredis's close of the socket by at least one loop turn.
    server_.pause();
    conn.command({"SET", "big", std::string(20 << 20, 'x')}, nullptr);
    const auto writes = conn.stats().writes;
    ASSERT_TRUE(run_until(io_, [&] { return conn.stats().writes > writes; }));
    server_.kill();
    ASSERT_TRUE(run_until(io_, [&] { return conn.state() != RedisState::connected; }));
    // hiredis closed the socket. Take its number at once: a second close (by Asio, when the
    // adapter goes) would now close this file instead.
    const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(probe, 0);
    testing::run_for(io_, 100ms);  // the adapter's last handlers run; reconnects are refused
    EXPECT_NE(::fcntl(probe, F_GETFD), -1)
        << "descriptor " << probe << " was closed behind our back";
    ::close(probe);
  }
  testing::run_for(io_, 20ms);  // handlers holding the last adapter run
  EXPECT_EQ(open_descriptors(), before);
}

class RedisLoginTest : public ::testing::Test {
 protected:
  RedisServerProcess server_ = RedisServerProcess::start({"--requirepass", "s3cret"});
  boost::asio::io_context io_;
};

TEST_F(RedisLoginTest, AuthAndSelectOnConnect) {
  auto options = local_options(server_.port());
  options.endpoint.password = "s3cret";
  options.endpoint.database = 3;
  RedisConnection conn(io_.get_executor(), options);
  ASSERT_TRUE(connect(io_, conn)) << conn.last_error_message();
  auto info = call(io_, conn, {"CLIENT", "INFO"});
  ASSERT_FALSE(info.ec) << to_string(info.reply);
  EXPECT_NE(info.reply.str.find(" db=3 "), std::string::npos) << info.reply.str;
}

TEST_F(RedisLoginTest, AclUserAndPassword) {
  auto options = local_options(server_.port());
  options.endpoint.username = "default";
  options.endpoint.password = "s3cret";
  RedisConnection conn(io_.get_executor(), options);
  ASSERT_TRUE(connect(io_, conn)) << conn.last_error_message();
}

TEST_F(RedisLoginTest, WrongPasswordIsAClearDownState) {
  auto options = local_options(server_.port());
  // Letters only: digits could turn up in the port the error message names.
  options.endpoint.password = "not-the-pw-qzxw";
  RedisConnection conn(io_.get_executor(), options);
  conn.start();
  ASSERT_TRUE(run_until(io_, [&] { return conn.last_error() == RedisErrc::auth_failed; }));
  EXPECT_NE(conn.state(), RedisState::connected);
  EXPECT_NE(conn.last_error_message().find("WRONGPASS"), std::string::npos)
      << conn.last_error_message();
  EXPECT_EQ(conn.last_error_message().find("qzxw"), std::string::npos) << "no password in logs";
  testing::run_for(io_, 200ms);  // it keeps retrying, and keeps failing
  EXPECT_EQ(conn.stats().connects, 0u);
  EXPECT_EQ(call(io_, conn, {"PING"}).ec, RedisErrc::not_connected);
}

TEST_F(RedisLoginTest, MissingPasswordIsAnAuthFailure) {
  RedisConnection conn(io_.get_executor(), local_options(server_.port()));
  conn.start();
  ASSERT_TRUE(run_until(io_, [&] { return conn.last_error() == RedisErrc::auth_failed; }));
  EXPECT_NE(conn.last_error_message().find("NOAUTH"), std::string::npos)
      << conn.last_error_message();
}

TEST(RedisSelect, ABadDatabaseIsASetupFailure) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  auto options = local_options(server.port());
  options.endpoint.database = 99;  // the default server has 16
  RedisConnection conn(io.get_executor(), options);
  conn.start();
  ASSERT_TRUE(run_until(io, [&] { return conn.last_error() == RedisErrc::setup_failed; }));
  EXPECT_NE(conn.last_error_message().find("SELECT refused"), std::string::npos)
      << conn.last_error_message();
}

}  // namespace
}  // namespace switchboard::engine::redis
