// A switchboard server run as a child process for tests that talk to it over real sockets.
//
// Thread safety: a ServerProcess is owned by one thread (the test's); the free functions are
// reentrant.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"

namespace switchboard::test {

// Status line code and body of one HTTP/1.1 exchange.
struct HttpReply {
  int status = 0;
  std::string body;
};

// Asks the kernel for a currently free loopback TCP port (bind to port 0, read it, close). Another
// process may take it before the caller binds it; ServerProcess retries for that reason.
std::uint16_t pick_free_port();

// Connects to 127.0.0.1:port, sends `request`, and reads the answer until `complete(received)`
// is true (when given) or the peer closes. Returns nullopt when the connection fails or
// `timeout` passes first.
std::optional<std::string> tcp_request(
    std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout,
    const std::function<bool(const std::string&)>& complete = {});

// One `GET path` to 127.0.0.1:port with `Connection: close`. Returns nullopt when the connection
// fails, the reply is not HTTP, or `timeout` passes first.
std::optional<HttpReply> http_get(std::uint16_t port, const std::string& path,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(2));

// The server binary for this test run: argv[1] if given, else $SWITCHBOARD_BIN, else empty.
std::string server_binary(int argc, char** argv);

class ServerProcess {
 public:
  // Fork/execs `binary` with `args` plus `--port P --bind-address 127.0.0.1` (and
  // `--log-level warn`, `--drain-period 0` unless `args` sets them), then waits until GET /health
  // answers 200.
  // Retries on another port if the child exits early (port taken). Throws std::runtime_error if
  // the server does not become healthy within `ready_timeout`. The child gets SIGKILL if the test
  // process dies, so no server outlives its test.
  static ServerProcess start(const std::string& binary, const std::vector<std::string>& args,
                             std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  // Movable, not copyable (it owns the child); destruction stops the server (stop()).

  // Sends SIGTERM, waits up to `grace` for exit, then SIGKILLs. Returns the raw wait status
  // (see WIFEXITED), or nullopt if the process was already reaped/never started. Idempotent.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // True while the child has not exited (reaps it if it has).
  bool running();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }

 private:
  ServerProcess(ChildProcess child, std::uint16_t port) : child_(std::move(child)), port_(port) {}

  ChildProcess child_;
  std::uint16_t port_ = 0;
};

}  // namespace switchboard::test
