#pragma once
// Running the contract suites against the Redis engine: one private redis-server for the
// whole test binary (tests/support/redis_server_process.*: loopback, free port, no
// persistence), and a RedisContext per store under a key prefix of its own, so tests never
// see each other's keys. A context is started and waited on until its shard is ready.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "redis_context.hpp"
#include "redis_server_process.hpp"
#include "switchboard/engine/clock.hpp"

namespace switchboard::engine::contract::redis_support {

// Started on first use, stopped at exit.
inline test::RedisServerProcess& shared_server() {
  static test::RedisServerProcess server = test::RedisServerProcess::start();
  return server;
}

inline redis::RedisEngineOptions options_for(std::uint16_t port) {
  redis::RedisEngineOptions options;
  redis::RedisEndpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port;
  options.shards.push_back(endpoint);
  static std::atomic<int> next{0};
  options.prefix = "sbtest" + std::to_string(::getpid()) + "-" + std::to_string(next++) + ":";
  // Long enough for a sanitizer build on a loaded 2-core machine.
  options.command_timeout = std::chrono::milliseconds(5000);
  options.reconnect_min = std::chrono::milliseconds(20);
  options.reconnect_max = std::chrono::milliseconds(200);
  return options;
}

// Waits (bounded) until every shard of `context` is ready; fails the test otherwise.
inline void wait_ready(const redis::RedisContext& context) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < context.shards(); ++i) all = all && context.ready(i);
    if (all) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the Redis context did not become ready";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// A started, ready context on the shared server with a fresh prefix, on `now`.
inline std::shared_ptr<redis::RedisContext> make_context(NowFn now) {
  auto context = redis::RedisContext::make(options_for(shared_server().port()), std::move(now));
  context->start();
  wait_ready(*context);
  return context;
}

}  // namespace switchboard::engine::contract::redis_support
