#pragma once
// Driving the Redis engine (RedisContext and the stores on it) from a test: the engine runs on
// its own I/O thread, so the test polls with a deadline, and sends raw commands through the
// context to set up or inspect what the stores wrote.
//
// The 10 s bound of eventually() only ends a hang: reconnects here take tens of milliseconds,
// and it must not fire on a loaded 2-core machine running the sanitizers.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "redis_context.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/error.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine::redis::testing {

// One shard per port, on loopback, with fast reconnects (tests wait on them).
inline RedisEngineOptions engine_options(std::initializer_list<std::uint16_t> ports) {
  RedisEngineOptions options;
  for (auto port : ports) {
    RedisEndpoint e;
    e.host = "127.0.0.1";
    e.port = port;
    options.shards.push_back(e);
  }
  options.reconnect_min = std::chrono::milliseconds(20);
  options.reconnect_max = std::chrono::milliseconds(200);
  // Long enough for a sanitizer build on a loaded 2-core machine.
  options.command_timeout = std::chrono::milliseconds(5000);
  return options;
}

// The key prefix of the contexts started by started_context().
inline constexpr const char* kTestPrefix = "t:";

// Polls `pred` for up to 10 s.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A started context on one server (key prefix kTestPrefix); with `wait_ready`, waited on until
// it is ready.
inline std::shared_ptr<RedisContext> started_context(std::uint16_t port, NowFn now,
                                                     bool wait_ready = true) {
  auto options = engine_options({port});
  options.prefix = kTestPrefix;
  auto context = RedisContext::make(options, std::move(now));
  context->start();
  if (wait_ready && !eventually([&] { return context->ready(0); })) {
    ADD_FAILURE() << "the Redis context did not become ready";
  }
  return context;
}

inline Publication make_publication(std::string channel, std::string payload) {
  Publication p;
  p.channel = std::move(channel);
  p.type = "message.new";
  p.payload = std::move(payload);
  return p;
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

// Calls `start(callback)` for an engine call answering (error_code, T) and waits for the answer
// (a second call of the callback would throw on the engine's thread: the test dies loudly).
template <class T, class Start>
std::pair<std::error_code, T> await_result(Start&& start) {
  auto done = std::make_shared<std::promise<std::pair<std::error_code, T>>>();
  auto future = done->get_future();
  std::forward<Start>(start)([done](std::error_code ec, T value) {
    done->set_value({ec, std::move(value)});
  });
  return future.get();
}

// Counts the completions of engine calls, from any thread, to check "exactly once".
class CompletionLog {
 public:
  Completion completion() {
    return [state = state_](std::error_code ec) { state->add(ec); };
  }
  template <class T>
  ResultCallback<T> result() {
    return [state = state_](std::error_code ec, T) { state->add(ec); };
  }
  // Waits up to 10 s until at least `n` completions arrived.
  bool wait_for(std::size_t n) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, std::chrono::seconds(10),
                               [&] { return state_->errors.size() >= n; });
  }
  std::vector<std::error_code> errors() const {
    std::lock_guard lock(state_->mu);
    return state_->errors;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::error_code> errors;  // one per completion, in arrival order
    void add(std::error_code ec) {
      std::lock_guard lock(mu);
      errors.push_back(ec);
      cv.notify_all();
    }
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Every key under `prefix` on `shard` (SCAN, so it also works on a large keyspace).
inline std::vector<std::string> keys_under(RedisContext& ctx, std::size_t shard,
                                           const std::string& prefix) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto [ec, reply] =
        run_command(ctx, shard, {"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
    if (ec || reply.elements.size() != 2) break;
    cursor = reply.elements[0].str;
    for (const auto& key : reply.elements[1].elements) keys.push_back(key.str);
  } while (cursor != "0");
  return keys;
}

}  // namespace switchboard::engine::redis::testing
