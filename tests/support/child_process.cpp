#include "child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>
#include <utility>

namespace switchboard::test {
namespace {

constexpr auto kPollStep = std::chrono::milliseconds(20);

bool exited(pid_t pid, int* status) {
  return ::waitpid(pid, status, WNOHANG) == pid;
}

}  // namespace

ChildProcess ChildProcess::spawn(const std::string& binary, const std::vector<std::string>& args) {
  // Build argv before fork: only async-signal-safe calls are allowed in the child.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
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
  if (running()) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) return std::nullopt;
  pid_t pid = std::exchange(pid_, -1);
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

std::optional<int> ChildProcess::kill() {
  if (pid_ < 0) return std::nullopt;
  pid_t pid = std::exchange(pid_, -1);
  int status = 0;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace switchboard::test
