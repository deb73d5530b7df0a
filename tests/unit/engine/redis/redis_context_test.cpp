// RedisContext (the Redis engine's shared I/O thread, shard connections and readiness) and
// the shard hash, against real private redis-server processes.
#include "redis_context.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "redis_context_test_support.hpp"
#include "redis_server_process.hpp"
#include "shard_hash.hpp"

namespace switchboard::engine::redis {
namespace {

using namespace std::chrono_literals;
using test::RedisServerProcess;
using testing::context_options;
using testing::eventually;

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
  RedisContext ctx(context_options({server.port()}), clock.fn());
  ASSERT_EQ(ctx.health().size(), 1u);
  EXPECT_FALSE(ctx.health()[0].up) << "not started";
  ctx.start();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0); }));
  const auto health = ctx.health();
  EXPECT_TRUE(health[0].up);
  EXPECT_EQ(health[0].name, "redis 127.0.0.1:" + std::to_string(server.port()));
  auto [ec, reply] = testing::run_command(ctx, 0, {"PING"});
  EXPECT_FALSE(ec);
  EXPECT_TRUE(reply.is_text("PONG"));
}

TEST(RedisContext, IsNotReadyWhileTheServerIsDownAndRecoversByItself) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(context_options({server.port()}), clock.fn());
  ctx.start();
  ASSERT_TRUE(eventually([&] { return ctx.ready(0); }));
  server.kill();
  ASSERT_TRUE(eventually([&] { return !ctx.ready(0); }));
  EXPECT_FALSE(ctx.health()[0].up);
  EXPECT_FALSE(ctx.health()[0].detail.empty()) << "health says why";
  auto [ec, reply] = testing::run_command(ctx, 0, {"PING"});
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
  RedisContext ctx(context_options({server.port()}), clock.fn());
  ctx.start();
  EXPECT_FALSE(ctx.ready(0));
  server.restart();
  EXPECT_TRUE(eventually([&] { return ctx.ready(0); }));
}

TEST(RedisContext, LogicalTimeFollowsTheInjectedClock) {
  auto server = RedisServerProcess::start();
  ManualClock clock;
  RedisContext ctx(context_options({server.port()}), clock.fn());
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
  RedisContext ctx(context_options({a.port(), b.port()}), clock.fn());
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
