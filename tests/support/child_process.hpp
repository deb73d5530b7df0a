// A child process a test started, stopped by its own pid (never by name).
//
// Thread safety: a ChildProcess is owned by one thread (the test's).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  // What a child gets besides its arguments.
  struct Options {
    // NAME=value entries added to (or replacing in) the test's environment.
    std::vector<std::string> env;
    // When set, stdout and stderr go to this file (appended) and stdin is /dev/null; else the
    // child shares the test's.
    std::string output_path;
  };

  // Fork/execs `binary` (a path) with `args`. The child gets SIGKILL if the test process dies
  // (PR_SET_PDEATHSIG, kept across exec: a wrapper script that forks loses it, so spawn the
  // real server, or a script that execs it). Throws std::runtime_error if fork fails.
  static ChildProcess spawn(const std::string& binary, const std::vector<std::string>& args,
                            const Options& options);
  static ChildProcess spawn(const std::string& binary, const std::vector<std::string>& args) {
    return spawn(binary, args, Options{});
  }

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // stop()

  // True while the child has not exited (reaps it if it has).
  bool running();
  // Sends `sig` (SIGSTOP, SIGCONT, ...) if the child is running.
  void signal(int sig);
  // SIGCONT (a stopped child cannot act on SIGTERM) and SIGTERM, up to `grace` for exit, then
  // SIGKILL. Returns the raw wait status, or nullopt if there was no child. Idempotent.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // SIGSTOP, and returns once the child is stopped (the signal is asynchronous: without the
  // wait a multi-threaded server may still answer a request sent right after it). Returns
  // false if the child exited instead (or there was none).
  bool freeze();
  // SIGKILL now and reap: a crash, for fault tests.
  std::optional<int> kill();
  // Waits up to `timeout` for the child to exit on its own (no signal). Returns the raw wait
  // status, or nullopt if it is still running (or there was no child).
  std::optional<int> wait(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}

  pid_t pid_ = -1;
  bool frozen_ = false;  // stopped by freeze(), not continued since
};

}  // namespace switchboard::test
