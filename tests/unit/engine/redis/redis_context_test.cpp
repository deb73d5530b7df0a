// RedisContext (the Redis engine's shared I/O thread, shard connections and readiness) and
// the shard hash, against real private redis-server processes.
#include "redis_context.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "redis_server_process.hpp"
#include "shard_hash.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;

RedisEngineOptions options_for(std::initializer_list<std::uint16_t> ports) {
  RedisEngineOptions options;
  for (auto port : ports) {
    RedisEndpoint e;
    e.host = "127.0.0.1";
    e.port = port;
    options.shards.push_back(e);
  }
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  return options;
}

// Polls `pred` (any thread state) for up to 10 s: the context connects on its own thread.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Runs a command on the context's thread and waits for its reply.
std::pair<std::error_code, RedisReply> run(RedisContext& ctx, std::size_t shard,
                                           std::vector<std::string> args) {
  std::promise<std::pair<std::error_code, RedisReply>> done;
  auto future = done.get_future();
  ctx.post([&ctx, shard, args = std::move(args), &done] {
    std::vector<std::string_view> views(args.begin(), args.end());
    ctx.command(shard, views, [&done](std::error_code ec, RedisReply reply) {
      done.set_value({ec, std::move(reply)});
    });
  });
  return future.get();
}

TEST(ShardHash, IsStableSpreadsAndMovesLittleWhenAShardIsAdded) {
  EXPECT_EQ(shard_of("conv:42", 1), 0u);
  EXPECT_EQ(shard_of("conv:42", 0), 0u);
  std::size_t per_shard[3] = {};
  std::size_t moved = 0;
  constexpr int kNames = 3000;
  for (int i = 0; i < kNames; ++i) {
    const std::string name = "conv:" + std::to_string(i);
    const std::size_t two = shard_of(name, 2);
    const std::size_t three = shard_of(name, 3);
    ASSERT_LT(three, 3u);
    EXPECT_EQ(shard_of(name, 2), two) << "the same name, the same shard";
    ++per_shard[three];
    // Jump hash: a name either stays or moves to the new shard, never between old ones.
    if (three != two) {
      ++moved;
      EXPECT_EQ(three, 2u) << name;
    }
  }
  for (std::size_t n : per_shard) EXPECT_GT(n, kNames / 4) << "each shard gets its share";
  // About a third moves to the new shard (bounds far from the expected 1000).
  EXPECT_GT(moved, 700u);
  EXPECT_LT(moved, 1300u);
}

TEST(RedisContext, BecomesReadyWithTheServersRunIdAndReportsHealth) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(options_for({server.port()}), clock.fn());
  ASSERT_EQ(ctx.health().size(), 1u);
  EXPECT_FALSE(ctx.health()[0].up) << "not started";
  ctx.start();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0); }));
  const auto health = ctx.health();
  EXPECT_TRUE(health[0].up);
  EXPECT_EQ(health[0].name, "redis 127.0.0.1:" + std::to_string(server.port()));
  auto [ec, reply] = run(ctx, 0, {"PING"});
  EXPECT_FALSE(ec);
  EXPECT_TRUE(reply.is_text("PONG"));
}

TEST(RedisContext, IsNotReadyWhileTheServerIsDownAndRecoversByItself) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(options_for({server.port()}), clock.fn());
  ctx.start();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0); }));
  server.kill();
  ASSERT_TRUE(eventually([&] { return !ctx.ready(0); }));
  EXPECT_FALSE(ctx.health()[0].up);
  EXPECT_FALSE(ctx.health()[0].detail.empty()) << "health says why";
  auto [ec, reply] = run(ctx, 0, {"PING"});
  EXPECT_EQ(ec, RedisErrc::not_connected) << "nothing is queued while Redis is away";
  EXPECT_EQ(ctx.engine_error(ec, reply, "PING"), EngineErrc::unavailable);
  server.restart();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0); }));
  EXPECT_TRUE(ctx.health()[0].up);
}

TEST(RedisContext, StartsWithTheServerDownAndConnectsWhenItComes) {
  auto server = RedisServerProcess::start();
  server.kill();
  ManualClock clock;
  RedisContext ctx(options_for({server.port()}), clock.fn());
  ctx.start();
  EXPECT_FALSE(ctx.ready(0));
  server.restart();
  EXPECT_TRUE(eventually([&] { return ctx.ready(0); }));
}

TEST(RedisContext, LogicalTimeFollowsTheInjectedClock) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(options_for({server.port()}), clock.fn());
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  const auto t0 = ctx.now_ms();
  EXPECT_LT(std::abs(t0 - wall), 60'000) << "anchored on the wall clock";
  clock.advance(1500ms);
  EXPECT_EQ(ctx.now_ms(), t0 + 1500);
  EXPECT_EQ(ctx.key("hs", "conv:1"), "switchboard:hs:conv:1");
  ctx.stop();
  EXPECT_FALSE(ctx.post([] {})) << "no work after stop";
}

TEST(RedisContext, SpreadsNamesOverShardsAndReportsEachShard) {
  auto a = RedisServerProcess::start();
  auto b = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(options_for({a.port(), b.port()}), clock.fn());
  ctx.start();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0) && ctx.ready(1); }));
  std::set<std::size_t> used;
  for (int i = 0; i < 20; ++i) used.insert(ctx.shard_for("user:" + std::to_string(i)));
  EXPECT_EQ(used.size(), 2u);
  b.kill();
  ASSERT_TRUE(eventually([&] { return !ctx.ready(1); }));
  EXPECT_TRUE(ctx.ready(0)) << "one shard down leaves the other serving";
  const auto health = ctx.health();
  EXPECT_TRUE(health[0].up);
  EXPECT_FALSE(health[1].up);
}

}  // namespace
}  // namespace switchboard::engine::redis
