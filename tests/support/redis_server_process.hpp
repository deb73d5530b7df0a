// A private redis-server for tests: loopback only, a free port, no persistence (`--save ''
// --appendonly no`), its own temporary directory, in the foreground (`--daemonize no`), as our
// child — never a system service. Fault tests can crash it (SIGKILL), freeze it (SIGSTOP /
// SIGCONT) and start it again on the same port (LocalServerProcess).
//
// The binary is the redis-server found at configure time (tests/CMakeLists.txt requires it;
// scripts/install-deps.sh installs it).
//
// Thread safety: owned by one thread (the test's).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "local_server_process.hpp"

namespace switchboard::test {

class RedisServerProcess : public LocalServerProcess {
 public:
  // Starts redis-server with `extra_args` appended ("--requirepass", "s3cret", ...) and waits
  // until it answers PING (+PONG, or -NOAUTH when it wants a password). With `port` 0 a free
  // port is picked (retried elsewhere if another process takes it first). Throws
  // std::runtime_error, with the tail of the server's log, when it does not come up within
  // `ready_timeout`.
  static RedisServerProcess start(
      std::vector<std::string> extra_args = {}, std::uint16_t port = 0,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

 private:
  explicit RedisServerProcess(LocalServerProcess server) : LocalServerProcess(std::move(server)) {}
};

}  // namespace switchboard::test
