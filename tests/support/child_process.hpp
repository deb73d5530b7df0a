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
  // Fork/execs `binary` (a path) with `args`. The child gets SIGKILL if the test process dies
  // (PR_SET_PDEATHSIG), so none outlives its test. Throws std::runtime_error if fork fails.
  static ChildProcess spawn(const std::string& binary, const std::vector<std::string>& args);

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
  // SIGKILL now and reap: a crash, for fault tests.
  std::optional<int> kill();

  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}

  pid_t pid_ = -1;
};

}  // namespace switchboard::test
