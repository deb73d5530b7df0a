// A server for tests that is one child process on one loopback port with a temporary directory
// of its own: started on a free port (retried elsewhere if another process takes it first),
// ready when its protocol's probe says so, crashed (SIGKILL), frozen (SIGSTOP / SIGCONT) and
// started again on the same port by fault tests. RedisServerProcess and NatsServerProcess are
// this with their own arguments and probe (a Kind); RabbitMqServerProcess is not (a node is
// two processes, epmd and the VM, on three ports).
//
// Thread safety: owned by one thread (the test's).
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace switchboard::test {

class LocalServerProcess {
 public:
  // What differs between servers.
  struct Kind {
    const char* name;           // "redis-server": in messages
    const char* binary;         // its path (found at configure time)
    const char* dir_prefix;     // "sb-redis-"
    // The arguments for the server on `port` keeping its files in `dir`; the caller's extra
    // arguments follow them.
    std::vector<std::string> (*args)(std::uint16_t port, const std::string& dir);
    bool (*ready)(std::uint16_t port);  // polled until true; must return within ~0.5 s
    // What the server wrote under `dir`, for the message of a failed start.
    std::string (*log_tail)(const std::string& dir);
    const char* output_file;  // under dir: the child's stdout and stderr (nullptr: the test's)
  };

  LocalServerProcess(LocalServerProcess&& other) noexcept;
  LocalServerProcess& operator=(LocalServerProcess&&) = delete;
  ~LocalServerProcess();  // stops the server, removes its directory

  void kill() { child_.kill(); }            // SIGKILL: a crash
  void pause() { child_.freeze(); }  // frozen: connections stay open, no answers
  void resume() { child_.signal(SIGCONT); }
  void stop() { child_.stop(); }  // SIGTERM (orderly), SIGKILL after 5 s
  // Starts the server again, same port, directory and arguments (after kill() or stop()).
  void restart(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  bool running() { return child_.running(); }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  const std::string& dir() const { return dir_; }

 protected:
  // Starts the server with `extra_args` appended and waits for `kind.ready`. With `port` 0 a
  // free port is picked. Throws std::runtime_error, with the tail of the server's log, when
  // it does not come up within `ready_timeout`.
  static LocalServerProcess start(const Kind& kind, std::vector<std::string> extra_args,
                                  std::uint16_t port, std::chrono::milliseconds ready_timeout);

 private:
  LocalServerProcess(const Kind& kind, std::string dir, std::vector<std::string> extra_args,
                     std::uint16_t port);
  // Spawns and waits until ready; false if the child exited first (the port was taken).
  bool launch(std::chrono::steady_clock::time_point deadline);
  std::string failure(const std::string& what) const;

  const Kind* kind_;  // static storage: the subclass's
  std::string dir_;   // owned: removed by the destructor
  std::vector<std::string> extra_args_;
  std::uint16_t port_ = 0;
  ChildProcess child_;
};

}  // namespace switchboard::test
