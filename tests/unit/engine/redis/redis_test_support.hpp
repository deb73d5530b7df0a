#pragma once
// Driving a Redis client from a test: one io_context run on the test thread (the client is
// single-threaded by design), bounded waits, and a blocking `call` for setup steps.
//
// Wall-clock bounds here are generous on purpose: they only have to end a hang, and must not
// fire on a loaded 2-core machine running the sanitizers. Tests that assert on a duration
// state their own bound and its reason.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "redis_connection.hpp"
#include "switchboard/engine/error.hpp"

namespace switchboard::engine::redis::testing {

inline constexpr std::chrono::milliseconds kWait{10000};

// Runs `io` until `done()` is true (returns true) or `timeout` passed (returns false).
template <class Done>
bool run_until(boost::asio::io_context& io, Done&& done,
               std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();  // ran out of work: more may be added by the next command
  }
  return true;
}

// Runs `io` for `duration` (for "nothing more happens" checks).
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  run_until(
      io, [&] { return std::chrono::steady_clock::now() >= deadline; }, duration * 2);
}

// Options for a private server on loopback: fast reconnects (tests wait on them), timeouts
// long enough for a sanitizer build.
inline RedisOptions local_options(std::uint16_t port) {
  RedisOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = port;
  options.command_timeout = std::chrono::milliseconds(3000);
  options.reconnect_min = std::chrono::milliseconds(20);
  options.reconnect_max = std::chrono::milliseconds(200);
  return options;
}

struct Result {
  bool completed = false;
  std::error_code ec;
  RedisReply reply;
};

// Sends one command and runs `io` until it completed (or the wait bound passed).
inline Result call(boost::asio::io_context& io, RedisConnection& conn,
                   std::initializer_list<std::string_view> args) {
  Result r;
  conn.command(args, [&r](std::error_code ec, RedisReply reply) {
    r = {true, ec, std::move(reply)};
  });
  run_until(io, [&] { return r.completed; });
  return r;
}

// Starts `conn` and runs until it is connected.
inline bool connect(boost::asio::io_context& io, RedisConnection& conn) {
  conn.start();
  return run_until(io, [&] { return conn.state() == RedisState::connected; });
}

}  // namespace switchboard::engine::redis::testing
