// ShardScript: a script loaded on each server before its first use there, against private
// redis-server processes.
#include "shard_script.hpp"

#include <gtest/gtest.h>

#include <future>

#include "redis_engine_test_support.hpp"
#include "redis_server_process.hpp"

namespace switchboard::engine::redis {
namespace {

using test::RedisServerProcess;
using testing::eventually;
using testing::run_command;
using testing::started_context;

// Runs `script` on shard 0 from the context's thread and waits for the reply.
std::pair<std::error_code, RedisReply> run(RedisContext& context, ShardScript& script) {
  std::promise<std::pair<std::error_code, RedisReply>> done;
  auto future = done.get_future();
  context.post([&] {
    script.run(context, 0, {}, {}, [&done](std::error_code ec, RedisReply reply) {
      done.set_value({ec, std::move(reply)});
    });
  });
  return future.get();
}

TEST(ShardScript, IsLoadedOnEachServerBeforeItsFirstUseThere) {
  auto server = RedisServerProcess::start();
  auto context = started_context(server.port(), system_now());
  ShardScript script("return 7");
  for (int i = 0; i < 3; ++i) {
    const auto [ec, reply] = run(*context, script);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(reply.integer, 7);
  }
  EXPECT_EQ(script.script().reloads(), 0u) << "no EVALSHA met NOSCRIPT: the load went first";

  // A restarted server (a new run_id) has an empty script cache: loaded ahead again.
  server.kill();
  ASSERT_TRUE(eventually([&] { return !context->ready(0); }));
  server.restart();
  ASSERT_TRUE(eventually([&] { return context->ready(0); }));
  EXPECT_EQ(run(*context, script).second.integer, 7);
  EXPECT_EQ(script.script().reloads(), 0u);

  // A flush on a running server is only found by NOSCRIPT: RedisScript's retry covers it.
  ASSERT_FALSE(run_command(*context, 0, {"SCRIPT", "FLUSH"}).first);
  EXPECT_EQ(run(*context, script).second.integer, 7);
  EXPECT_EQ(script.script().reloads(), 1u);
}

TEST(ShardScript, FailsAtOnceOnAShardThatIsNotReady) {
  auto server = RedisServerProcess::start();
  server.kill();
  auto context = started_context(server.port(), system_now(), /*wait_ready=*/false);
  ShardScript script("return 7");
  EXPECT_EQ(run(*context, script).first, RedisErrc::not_connected);
}

}  // namespace
}  // namespace switchboard::engine::redis
