// A private nats-server for tests: loopback only (`-a 127.0.0.1`), a free port, its own
// temporary directory (for its log only: core NATS keeps nothing on disk, and JetStream is
// not enabled), no monitoring port, in the foreground as our child — never a system service.
// It starts in well under a second, so each test can have its own. Fault tests crash it
// (SIGKILL), freeze it (SIGSTOP / SIGCONT) and start it again on the same port
// (LocalServerProcess).
//
// The binary is the nats-server found at configure time (tests/CMakeLists.txt requires it;
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

class NatsServerProcess : public LocalServerProcess {
 public:
  // Starts nats-server with `extra_args` appended ("--user", "u", ...) and waits until it
  // greets a connection with INFO. With `port` 0 a free port is picked (retried elsewhere if
  // another process takes it first). Throws std::runtime_error, with the tail of the
  // server's log, when it does not come up within `ready_timeout`.
  static NatsServerProcess start(std::vector<std::string> extra_args = {}, std::uint16_t port = 0,
                                 std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port()); }

 private:
  explicit NatsServerProcess(LocalServerProcess server) : LocalServerProcess(std::move(server)) {}
};

// True when a server on 127.0.0.1:port greets a new connection with NATS's INFO line within
// `timeout`.
bool nats_greets(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace switchboard::test
