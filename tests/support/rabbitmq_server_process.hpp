// A private RabbitMQ node for tests: loopback only, free ports, its own temporary directory
// (HOME with the Erlang cookie, the database, the logs, an empty plugin list, no config file),
// a node name of its own (sbtest-<pid>-<n>@localhost), in the foreground as our child — never
// a system service. Fault tests crash it (SIGKILL), freeze it (SIGSTOP / SIGCONT) and start it
// again on the same ports with the same database. Durable queues survive a stop(); after a
// kill(), one declared less than ~2 s before may be gone (Mnesia writes the declaration's commit
// decision after the declare-ok: docs/ingress-plan.md 3.2), so crash tests declare their queues
// before a stop() + restart(), or again after the crash.
//
// How it is run, and why:
// - /usr/lib/rabbitmq/bin/rabbitmq-server, not the /usr/sbin wrapper (which switches to the
//   `rabbitmq` user and its /var/lib/rabbitmq), with RABBITMQ_ALLOW_INPUT set: the script then
//   execs the Erlang VM instead of forking it behind a signal-forwarding shell, so our child's
//   pid is the VM's (SIGKILL and SIGSTOP reach the server itself, and the parent-death signal
//   survives the exec). `-noinput` keeps the Erlang shell off stdin all the same.
// - Erlang distribution needs an epmd (the port mapper). The VM would start a shared one on
//   port 4369 as a daemon that outlives every test; instead each node gets its own epmd on a
//   free loopback port (ERL_EPMD_PORT), run as our child and stopped with the node.
// - The distribution port (RABBITMQ_DIST_PORT) is bound to loopback too
//   (`-kernel inet_dist_use_interface`).
//
// Starting takes ~5 s on an idle 2-core machine (a restart with the database present ~3.5 s),
// so a test binary shares one node across its tests (shared(), registered as one ctest so the
// tests run in one process) and only fault tests start their own.
//
// The binaries are those found at configure time (tests/CMakeLists.txt requires them;
// scripts/install-deps.sh installs them).
//
// Thread safety: owned by one thread (the test's); shared() is for the test's main thread.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace switchboard::test {

class RabbitMqServerProcess {
 public:
  // Starts a node and waits until its AMQP port answers the protocol header with
  // connection.start. Throws std::runtime_error, with the tail of the node's output, when it
  // does not come up within `ready_timeout` (generous: the VM's boot is CPU-bound, and the
  // machine is shared).
  static RabbitMqServerProcess start(
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(60));

  // The node every test of this process shares: started on first use, stopped at exit. Tests
  // that use it leave it running and clean up what they declared (or use names of their own).
  static RabbitMqServerProcess& shared();

  RabbitMqServerProcess(RabbitMqServerProcess&& other) noexcept;
  RabbitMqServerProcess& operator=(RabbitMqServerProcess&&) = delete;
  ~RabbitMqServerProcess();  // stops the node and its epmd, removes the directory

  void kill() { node_.kill(); }            // SIGKILL: a crash (epmd stays, the name is freed)
  void pause() { node_.freeze(); }  // frozen: connections stay open, no heartbeats
  void resume() { node_.signal(SIGCONT); }
  // An orderly shutdown: SIGTERM, which the node handles as `rabbitmqctl shutdown` does ("SIGTERM
  // received - shutting down" in its log: listeners closed, queues and message stores
  // flushed), in ~1 s where the CLI, booting a VM of its own, takes 1.5-3.5 s. SIGKILL after
  // 30 s.
  void stop();
  // Starts the node again: same name, ports and database (after kill() or stop(); a running
  // node is stopped first).
  void restart(std::chrono::milliseconds ready_timeout = std::chrono::seconds(60));

  // Runs `rabbitmqctl -n <node> <args...>` against this node (its cookie and epmd) and returns
  // what it printed. Throws std::runtime_error with that output when it fails or takes more
  // than 60 s. Each call boots a CLI VM: ~1.5 s.
  std::string ctl(const std::vector<std::string>& args) const;

  bool running() { return node_.running(); }
  std::uint16_t port() const { return port_; }  // AMQP
  // guest/guest may log in from loopback, RabbitMQ's default.
  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/"; }
  const std::string& node_name() const { return node_name_; }
  pid_t pid() const { return node_.pid(); }  // the Erlang VM's
  std::uint16_t epmd_port() const { return epmd_port_; }  // this node's own port mapper
  const std::string& dir() const { return dir_; }

 private:
  explicit RabbitMqServerProcess(std::string dir);
  // Picks free ports and starts epmd on one (false if it exited: the port was taken).
  bool launch_epmd();
  void spawn_epmd();  // on epmd_port_, loopback only, in the foreground
  // Spawns the node and waits for connection.start; false if it exited first (a port taken,
  // or its name still registered with epmd after a crash).
  bool launch_node(std::chrono::steady_clock::time_point deadline);
  std::vector<std::string> environment() const;
  std::string log_tail() const;

  std::string dir_;  // owned: removed by the destructor
  std::string node_name_;
  std::uint16_t port_ = 0;
  std::uint16_t dist_port_ = 0;
  std::uint16_t epmd_port_ = 0;
  ChildProcess epmd_;
  ChildProcess node_;
};

// True when 127.0.0.1:port answers AMQP 0-9-1's protocol header with a connection.start
// method frame (type 1, channel 0, class 10, method 10) within `timeout`.
bool amqp_greets(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace switchboard::test
