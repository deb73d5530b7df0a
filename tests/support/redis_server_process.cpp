#include "redis_server_process.hpp"

#include "server_process.hpp"
#include "test_files.hpp"

#ifndef SB_REDIS_SERVER_PATH
#error "SB_REDIS_SERVER_PATH must name the redis-server binary (tests/support/CMakeLists.txt)"
#endif

namespace switchboard::test {
namespace {

std::vector<std::string> redis_args(std::uint16_t port, const std::string& dir) {
  return {"--port",       std::to_string(port),
          "--bind",       "127.0.0.1",
          "--save",       "",
          "--appendonly", "no",
          "--dir",        dir,
          "--daemonize",  "no",
          "--logfile",    dir + "/redis.log"};
}

// A RESP answer to PING: +PONG, or an error (-NOAUTH when a password is required) — either
// way the server is up and serving.
bool answers_ping(std::uint16_t port) {
  auto line_done = [](const std::string& got) { return got.find("\r\n") != std::string::npos; };
  auto reply = tcp_request(port, "PING\r\n", std::chrono::milliseconds(500), line_done);
  return reply && (reply->rfind("+PONG", 0) == 0 || reply->rfind("-NOAUTH", 0) == 0);
}

std::string redis_log_tail(const std::string& dir) {
  return file_tail(dir + "/redis.log");
}

const LocalServerProcess::Kind kRedis{"redis-server", SB_REDIS_SERVER_PATH, "sb-redis-",
                                      redis_args,     answers_ping,         redis_log_tail,
                                      nullptr};

}  // namespace

RedisServerProcess RedisServerProcess::start(std::vector<std::string> extra_args,
                                             std::uint16_t port,
                                             std::chrono::milliseconds ready_timeout) {
  return RedisServerProcess(
      LocalServerProcess::start(kRedis, std::move(extra_args), port, ready_timeout));
}

}  // namespace switchboard::test
