#pragma once
// Driving a RedisContext (its own I/O thread) from a test: options for private servers, a
// bounded poll for state another thread changes, and a blocking command for setup and checks.
//
// Wall-clock bounds here only end a hang: 10 s is far above anything a loopback server takes,
// even under the sanitizers on a loaded 2-core machine.
#include <chrono>
#include <future>
#include <initializer_list>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "redis_context.hpp"

namespace switchboard::engine::redis::testing {

// Loopback shards at `ports`, in order; fast reconnects (tests wait on them).
inline RedisEngineOptions context_options(std::initializer_list<std::uint16_t> ports) {
  RedisEngineOptions options;
  for (auto port : ports) {
    RedisEndpoint e;
    e.host = "127.0.0.1";
    e.port = port;
    options.shards.push_back(e);
  }
  options.reconnect_min = std::chrono::milliseconds(20);
  options.reconnect_max = std::chrono::milliseconds(200);
  options.command_timeout = std::chrono::milliseconds(5000);
  return options;
}

// Polls `pred` every 2 ms for up to 10 s; true once it holds.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Runs a command on the context's thread and waits for its reply.
inline std::pair<std::error_code, RedisReply> run_command(RedisContext& ctx, std::size_t shard,
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

}  // namespace switchboard::engine::redis::testing
