#include "nats_server_process.hpp"

#include "server_process.hpp"
#include "test_files.hpp"

#ifndef SB_NATS_SERVER_PATH
#error "SB_NATS_SERVER_PATH must name the nats-server binary (tests/support/CMakeLists.txt)"
#endif

namespace switchboard::test {
namespace {

std::vector<std::string> nats_args(std::uint16_t port, const std::string& dir) {
  return {"-a", "127.0.0.1", "-p", std::to_string(port), "-l", dir + "/nats.log"};
}

bool greets_now(std::uint16_t port) {
  return nats_greets(port, std::chrono::milliseconds(500));
}

// Its log, and what it printed before opening it (a bad argument).
std::string nats_log_tail(const std::string& dir) {
  return file_tail(dir + "/nats.out", 500) + file_tail(dir + "/nats.log");
}

const LocalServerProcess::Kind kNats{"nats-server", SB_NATS_SERVER_PATH, "sb-nats-", nats_args,
                                     greets_now,    nats_log_tail,       "nats.out"};

}  // namespace

bool nats_greets(std::uint16_t port, std::chrono::milliseconds timeout) {
  // The server speaks first: `INFO {json}\r\n` as soon as a client connects.
  auto line_done = [](const std::string& got) { return got.find("\r\n") != std::string::npos; };
  auto greeting = tcp_request(port, "", timeout, line_done);
  return greeting && greeting->rfind("INFO {", 0) == 0;
}

NatsServerProcess NatsServerProcess::start(std::vector<std::string> extra_args, std::uint16_t port,
                                           std::chrono::milliseconds ready_timeout) {
  return NatsServerProcess(
      LocalServerProcess::start(kNats, std::move(extra_args), port, ready_timeout));
}

}  // namespace switchboard::test
