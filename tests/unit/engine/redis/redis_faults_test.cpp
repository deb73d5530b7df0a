// RedisConnection when Redis misbehaves: slow (CLIENT PAUSE, SIGSTOP), killed and restarted,
// down at start. Real server, real time: every wall-clock bound says why it is safe.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "redis_connection.hpp"
#include "redis_server_process.hpp"
#include "redis_test_support.hpp"
#include "server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::RedisServerProcess;
using testing::call;
using testing::connect;
using testing::local_options;
using testing::run_until;

// A timer on the connection's own loop, as a worker's other work: if the client ever blocked
// the thread, it would stop ticking.
class Ticker {
 public:
  explicit Ticker(boost::asio::io_context& io) : timer_(io) { arm(); }
  int ticks() const { return ticks_; }

 private:
  void arm() {
    timer_.expires_after(10ms);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      ++ticks_;
      arm();
    });
  }
  boost::asio::steady_timer timer_;
  int ticks_ = 0;
};

RedisOptions fast_timeout(std::uint16_t port) {
  auto options = local_options(port);
  options.command_timeout = 200ms;
  return options;
}

// Two commands pending when the server stops answering: both fail with `timeout` after about
// command_timeout (not after the stall), the loop keeps running, and once the server answers
// again the connection is back by itself.
void expect_timeout_then_recovery(boost::asio::io_context& io, RedisConnection& conn,
                                  std::chrono::milliseconds stall,
                                  const std::function<void()>& end_stall) {
  Ticker ticker(io);
  std::error_code first, second;
  int done = 0;
  const auto t0 = Clock::now();
  Clock::duration elapsed{};
  conn.command({"GET", "k"}, [&](std::error_code ec, RedisReply) {
    first = ec;
    elapsed = Clock::now() - t0;
    ++done;
  });
  conn.command({"SET", "k", "v"}, [&](std::error_code ec, RedisReply) {
    second = ec;
    ++done;
  });
  ASSERT_TRUE(run_until(io, [&] { return done == 2; }));
  EXPECT_EQ(first, RedisErrc::timeout);
  EXPECT_EQ(second, RedisErrc::timeout) << "every command pending on the reset connection fails";
  EXPECT_EQ(to_engine_error(first), EngineErrc::timeout);
  // 200 ms timeout: well under the stall, or the timeout was not ours. Generous for sanitizers.
  EXPECT_LT(elapsed, stall - 500ms)
      << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  EXPECT_GE(elapsed, 190ms);
  EXPECT_GE(conn.stats().timeouts, 1u);
  const int ticks_at_timeout = ticker.ticks();
  // Expected ~20 ticks in 200 ms; a loop blocked for the stall would show ~0.
  EXPECT_GE(ticks_at_timeout, 5);
  EXPECT_NE(conn.state(), RedisState::connected);
  EXPECT_EQ(call(io, conn, {"PING"}).ec, RedisErrc::not_connected)
      << "fail fast while it reconnects";
  if (end_stall) end_stall();
  ASSERT_TRUE(run_until(io, [&] { return conn.state() == RedisState::connected; }))
      << conn.last_error_message();
  EXPECT_GT(ticker.ticks(), ticks_at_timeout);
  auto r = call(io, conn, {"SET", "k", "after"});
  EXPECT_FALSE(r.ec) << r.ec.message();
}

TEST(RedisFaults, ClientPauseTimesOutAndRecovers) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  RedisConnection conn(io.get_executor(), fast_timeout(server.port()));
  int connected = 0;
  conn.on_connected([&] { ++connected; });
  ASSERT_TRUE(connect(io, conn));
  ASSERT_FALSE(call(io, conn, {"CLIENT", "PAUSE", "2000"}).ec);
  expect_timeout_then_recovery(io, conn, 2000ms, nullptr);  // the pause ends by itself
  EXPECT_GE(conn.stats().connects, 2u);
  ASSERT_TRUE(run_until(io, [&] { return connected >= 2; })) << "on_connected after the reconnect";
}

TEST(RedisFaults, FrozenServerTimesOutAndRecovers) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  RedisConnection conn(io.get_executor(), fast_timeout(server.port()));
  ASSERT_TRUE(connect(io, conn));
  server.pause();  // SIGSTOP: the kernel still accepts connections, nobody answers
  expect_timeout_then_recovery(io, conn, 3000ms, [&] { server.resume(); });
  EXPECT_EQ(conn.last_error(), RedisErrc::timeout);  // a login on the frozen server timed out too
}

TEST(RedisFaults, IdleConnectionFindsAFrozenServer) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  auto options = fast_timeout(server.port());
  options.ping_interval = 100ms;
  RedisConnection conn(io.get_executor(), options);
  ASSERT_TRUE(connect(io, conn));
  server.pause();
  const auto t0 = Clock::now();
  // No command of ours: the idle PING finds it, within ping_interval + command_timeout.
  ASSERT_TRUE(run_until(io, [&] { return conn.state() != RedisState::connected; }));
  EXPECT_LT(Clock::now() - t0, 2000ms);  // 300 ms expected; bound for a loaded machine
  EXPECT_EQ(conn.last_error(), RedisErrc::timeout);
  server.resume();
  ASSERT_TRUE(run_until(io, [&] { return conn.state() == RedisState::connected; }));
}

TEST(RedisFaults, KilledAndRestartedServer) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  RedisConnection conn(io.get_executor(), local_options(server.port()));
  int connected = 0;
  conn.on_connected([&] { ++connected; });
  ASSERT_TRUE(connect(io, conn));
  ASSERT_TRUE(run_until(io, [&] { return connected == 1; }));

  std::error_code pending_error;
  bool pending_done = false;
  const auto writes = conn.stats().writes;
  conn.command({"BLPOP", "nothing-ever", "0"}, [&](std::error_code ec, RedisReply) {
    pending_error = ec;
    pending_done = true;
  });
  ASSERT_TRUE(run_until(io, [&] { return conn.stats().writes > writes; }));  // sent
  server.kill();
  ASSERT_TRUE(run_until(io, [&] { return pending_done; }));
  EXPECT_EQ(pending_error, RedisErrc::connection_lost);
  EXPECT_EQ(to_engine_error(pending_error), EngineErrc::timeout) << "effect unknown";
  EXPECT_NE(conn.state(), RedisState::connected);
  EXPECT_EQ(call(io, conn, {"PING"}).ec, RedisErrc::not_connected);
  // Reconnect attempts fail while it is down (refused), with backoff between them.
  ASSERT_TRUE(run_until(io, [&] { return conn.last_error() == RedisErrc::connect_failed; }));
  EXPECT_NE(conn.last_error_message().find("refused"), std::string::npos)
      << conn.last_error_message();

  server.restart();
  ASSERT_TRUE(run_until(io, [&] { return conn.state() == RedisState::connected; }))
      << conn.last_error_message();
  ASSERT_TRUE(run_until(io, [&] { return connected == 2; })) << "on_connected after the reconnect";
  auto r = call(io, conn, {"SET", "k", "v"});
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(conn.stats().connects, 2u);
}

TEST(RedisFaults, DownAtStartThenComesUp) {
  const auto port = test::pick_free_port();
  boost::asio::io_context io;
  RedisConnection conn(io.get_executor(), local_options(port));
  conn.start();
  EXPECT_EQ(conn.state(), RedisState::connecting);
  ASSERT_TRUE(run_until(io, [&] { return conn.state() == RedisState::down; }));
  EXPECT_EQ(conn.last_error(), RedisErrc::connect_failed);
  EXPECT_NE(conn.last_error_message().find("refused"), std::string::npos)
      << conn.last_error_message();
  const auto t0 = Clock::now();
  auto r = call(io, conn, {"PING"});
  EXPECT_EQ(r.ec, RedisErrc::not_connected);
  EXPECT_LT(Clock::now() - t0, 500ms) << "fails fast (posted), no waiting for a connection";
  EXPECT_GE(conn.stats().rejected_not_connected, 1u);

  auto server = RedisServerProcess::start({}, port);
  ASSERT_TRUE(run_until(io, [&] { return conn.state() == RedisState::connected; }))
      << conn.last_error_message();
  EXPECT_FALSE(call(io, conn, {"PING"}).ec);
}

TEST(RedisFaults, UnresolvableHostIsAResolveFailure) {
  boost::asio::io_context io;
  auto options = local_options(6379);
  options.endpoint.host = "no-such-host.invalid";  // RFC 6761: never resolves
  RedisConnection conn(io.get_executor(), options);
  conn.start();
  ASSERT_TRUE(run_until(io, [&] { return conn.last_error() == RedisErrc::resolve_failed; }));
  EXPECT_NE(conn.last_error_message().find("no-such-host.invalid"), std::string::npos);
}

TEST(RedisFaults, DestroyedWithCommandsPendingCompletesThemWithShutDown) {
  auto server = RedisServerProcess::start();
  boost::asio::io_context io;
  std::error_code ec;
  {
    RedisConnection conn(io.get_executor(), local_options(server.port()));
    ASSERT_TRUE(connect(io, conn));
    conn.command({"BLPOP", "nothing-ever", "0"}, [&](std::error_code e, RedisReply) { ec = e; });
  }
  ASSERT_TRUE(run_until(io, [&] { return bool(ec); }));
  EXPECT_EQ(ec, RedisErrc::shut_down);
}

}  // namespace
}  // namespace switchboard::engine::redis
