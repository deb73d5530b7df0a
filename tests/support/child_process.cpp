#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace switchboard::test {
namespace {

constexpr auto kPollStep = std::chrono::milliseconds(20);

bool exited(pid_t pid, int* status) {
  return ::waitpid(pid, status, WNOHANG) == pid;
}

// The test's environment with `overrides` (NAME=value) put in place of, or beside, its entries.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env = overrides;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool overridden = std::any_of(overrides.begin(), overrides.end(), [&](const std::string& o) {
      return name_of(o) == name_of(entry);
    });
    if (!overridden) env.push_back(std::move(entry));
  }
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ChildProcess ChildProcess::spawn(const std::string& binary, const std::vector<std::string>& args,
                                 const Options& options) {
  // Build argv, envp and the output file before fork: only async-signal-safe calls are allowed
  // in the child.
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv = pointers_to(argv_strings);
  std::vector<std::string> env_strings = merged_environment(options.env);
  std::vector<char*> envp = pointers_to(env_strings);
  int output = -1, input = -1;
  if (!options.output_path.empty()) {
    output = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    input = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (output < 0 || input < 0) {
      if (output >= 0) ::close(output);
      if (input >= 0) ::close(input);
      throw std::runtime_error("cannot open " + options.output_path + " for a child's output");
    }
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (output >= 0) {  // dup2 clears O_CLOEXEC on the copies
      ::dup2(input, STDIN_FILENO);
      ::dup2(output, STDOUT_FILENO);
      ::dup2(output, STDERR_FILENO);
    }
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  if (output >= 0) {
    ::close(output);
    ::close(input);
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), frozen_(std::exchange(other.frozen_, false)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    frozen_ = std::exchange(other.frozen_, false);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::running() {
  if (pid_ < 0) return false;
  int status = 0;
  if (exited(pid_, &status)) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::signal(int sig) {
  if (!running()) return;
  ::kill(pid_, sig);
  if (sig == SIGCONT) frozen_ = false;
}

std::optional<int> ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) return std::nullopt;
  pid_t pid = std::exchange(pid_, -1);
  frozen_ = false;
  int status = 0;
  ::kill(pid, SIGCONT);
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited(pid, &status)) return status;
    std::this_thread::sleep_for(kPollStep);  // no portable way to wait on a pid with a timeout
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return std::nullopt;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (exited(pid_, &status)) {
      pid_ = -1;
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollStep);  // no portable way to wait on a pid with a timeout
  }
}

bool ChildProcess::freeze() {
  if (!running()) return false;
  if (frozen_) return true;  // a second SIGSTOP would report no new stop: waitpid would hang
  ::kill(pid_, SIGSTOP);
  int status = 0;
  // SIGSTOP cannot be caught or ignored: this returns as soon as the child stops (or dies).
  while (::waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
  }
  if (WIFSTOPPED(status)) return frozen_ = true;
  pid_ = -1;  // exited and reaped
  return false;
}

std::optional<int> ChildProcess::kill() {
  if (pid_ < 0) return std::nullopt;
  pid_t pid = std::exchange(pid_, -1);
  frozen_ = false;
  int status = 0;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace switchboard::test
