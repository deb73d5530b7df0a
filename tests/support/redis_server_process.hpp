// A private redis-server for tests: loopback only, a free port, no persistence (`--save ''
// --appendonly no`), its own temporary directory, in the foreground (`--daemonize no`), as our
// child — never a system service. Fault tests can crash it (SIGKILL), freeze it (SIGSTOP /
// SIGCONT) and start it again on the same port.
//
// The binary is the redis-server found at configure time (tests/CMakeLists.txt requires it;
// scripts/install-deps.sh installs it).
//
// Thread safety: owned by one thread (the test's).
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"

namespace switchboard::test {

class RedisServerProcess {
 public:
  // Starts redis-server with `extra_args` appended ("--requirepass", "s3cret", ...) and waits
  // until it answers PING (+PONG, or -NOAUTH when it wants a password). With `port` 0 a free
  // port is picked (retried elsewhere if another process takes it first). Throws
  // std::runtime_error, with the tail of the server's log, when it does not come up within
  // `ready_timeout`.
  static RedisServerProcess start(
      std::vector<std::string> extra_args = {}, std::uint16_t port = 0,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  RedisServerProcess(RedisServerProcess&& other) noexcept;
  RedisServerProcess& operator=(RedisServerProcess&&) = delete;
  ~RedisServerProcess();  // stops the server, removes its directory

  void kill() { child_.kill(); }            // SIGKILL: a crash
  void pause() { child_.signal(SIGSTOP); }  // frozen: connections stay open, no answers
  void resume() { child_.signal(SIGCONT); }
  void stop() { child_.stop(); }  // SIGTERM (orderly), SIGKILL after 5 s
  // Starts the server again, same port, directory and arguments (after kill() or stop()).
  void restart(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  bool running() { return child_.running(); }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  const std::string& dir() const { return dir_; }

 private:
  RedisServerProcess(std::string dir, std::vector<std::string> extra_args, std::uint16_t port)
      : dir_(std::move(dir)), extra_args_(std::move(extra_args)), port_(port) {}
  // Spawns and waits for PING; false if the child exited first (the port was taken).
  bool launch(std::chrono::steady_clock::time_point deadline);
  std::string log_tail() const;

  std::string dir_;  // owned: removed by the destructor
  std::vector<std::string> extra_args_;
  std::uint16_t port_ = 0;
  ChildProcess child_;
};

}  // namespace switchboard::test
