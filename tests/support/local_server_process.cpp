#include "local_server_process.hpp"

#include <stdexcept>
#include <thread>
#include <utility>

#include "server_process.hpp"
#include "test_files.hpp"

namespace switchboard::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollStep = std::chrono::milliseconds(20);
constexpr int kStartAttempts = 3;

}  // namespace

LocalServerProcess::LocalServerProcess(const Kind& kind, std::string dir,
                                       std::vector<std::string> extra_args, std::uint16_t port)
    : kind_(&kind), dir_(std::move(dir)), extra_args_(std::move(extra_args)), port_(port) {}

LocalServerProcess LocalServerProcess::start(const Kind& kind, std::vector<std::string> extra_args,
                                             std::uint16_t port,
                                             std::chrono::milliseconds ready_timeout) {
  const auto deadline = Clock::now() + ready_timeout;
  const bool fixed_port = port != 0;
  LocalServerProcess server(kind, make_temp_dir(kind.dir_prefix), std::move(extra_args), port);
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (!fixed_port) server.port_ = pick_free_port();
    if (server.launch(deadline)) return server;
    if (fixed_port || server.running() || Clock::now() >= deadline) break;
  }
  throw std::runtime_error(server.failure("did not come up"));
}

LocalServerProcess::LocalServerProcess(LocalServerProcess&& other) noexcept
    : kind_(other.kind_),
      dir_(std::exchange(other.dir_, {})),
      extra_args_(std::move(other.extra_args_)),
      port_(other.port_),
      child_(std::move(other.child_)) {}

LocalServerProcess::~LocalServerProcess() {
  child_.stop();
  remove_dir(dir_);
}

void LocalServerProcess::restart(std::chrono::milliseconds ready_timeout) {
  child_.stop();
  if (!launch(Clock::now() + ready_timeout)) throw std::runtime_error(failure("did not come back"));
}

bool LocalServerProcess::launch(Clock::time_point deadline) {
  std::vector<std::string> args = kind_->args(port_, dir_);
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  ChildProcess::Options options;
  if (kind_->output_file) options.output_path = dir_ + "/" + kind_->output_file;
  child_ = ChildProcess::spawn(kind_->binary, args, options);
  while (Clock::now() < deadline) {
    if (!child_.running()) return false;  // exited: most likely the port was taken
    if (kind_->ready(port_)) return true;
    std::this_thread::sleep_for(kPollStep);  // readiness has no event to wait on
  }
  child_.stop();
  return false;
}

std::string LocalServerProcess::failure(const std::string& what) const {
  return std::string(kind_->name) + " " + what + " on port " + std::to_string(port_) +
         "; its log ends with:\n" + kind_->log_tail(dir_);
}

}  // namespace switchboard::test
