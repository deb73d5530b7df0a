#include "redis_server_process.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "server_process.hpp"

#ifndef SB_REDIS_SERVER_PATH
#error "SB_REDIS_SERVER_PATH must name the redis-server binary (tests/support/CMakeLists.txt)"
#endif

namespace switchboard::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollStep = std::chrono::milliseconds(20);
constexpr int kStartAttempts = 3;

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sb-redis-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

// A RESP answer to PING: +PONG, or an error (-NOAUTH when a password is required) — either
// way the server is up and serving.
bool answers_ping(std::uint16_t port) {
  auto line_done = [](const std::string& got) { return got.find("\r\n") != std::string::npos; };
  auto reply = tcp_request(port, "PING\r\n", std::chrono::milliseconds(500), line_done);
  return reply && (reply->rfind("+PONG", 0) == 0 || reply->rfind("-NOAUTH", 0) == 0);
}

}  // namespace

RedisServerProcess RedisServerProcess::start(std::vector<std::string> extra_args,
                                             std::uint16_t port,
                                             std::chrono::milliseconds ready_timeout) {
  const auto deadline = Clock::now() + ready_timeout;
  const bool fixed_port = port != 0;
  RedisServerProcess server(make_temp_dir(), std::move(extra_args), port);
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (!fixed_port) server.port_ = pick_free_port();
    if (server.launch(deadline)) return server;
    if (fixed_port || server.running() || Clock::now() >= deadline) break;
  }
  throw std::runtime_error("redis-server did not come up on port " + std::to_string(server.port_) +
                           "; its log ends with:\n" + server.log_tail());
}

RedisServerProcess::RedisServerProcess(RedisServerProcess&& other) noexcept
    : dir_(std::exchange(other.dir_, {})),
      extra_args_(std::move(other.extra_args_)),
      port_(other.port_),
      child_(std::move(other.child_)) {}

RedisServerProcess::~RedisServerProcess() {
  child_.stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void RedisServerProcess::restart(std::chrono::milliseconds ready_timeout) {
  child_.stop();
  if (!launch(Clock::now() + ready_timeout)) {
    throw std::runtime_error("redis-server did not come back on port " + std::to_string(port_) +
                             "; its log ends with:\n" + log_tail());
  }
}

bool RedisServerProcess::launch(Clock::time_point deadline) {
  std::vector<std::string> args{"--port",       std::to_string(port_),
                                "--bind",       "127.0.0.1",
                                "--save",       "",
                                "--appendonly", "no",
                                "--dir",        dir_,
                                "--daemonize",  "no",
                                "--logfile",    dir_ + "/redis.log"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  child_ = ChildProcess::spawn(SB_REDIS_SERVER_PATH, args);
  while (Clock::now() < deadline) {
    if (!child_.running()) return false;  // exited: most likely the port was taken
    if (answers_ping(port_)) return true;
    std::this_thread::sleep_for(kPollStep);  // readiness has no event to wait on
  }
  child_.stop();
  return false;
}

std::string RedisServerProcess::log_tail() const {
  std::ifstream log(dir_ + "/redis.log");
  std::ostringstream all;
  all << log.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace switchboard::test
