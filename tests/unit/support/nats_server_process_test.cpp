// The private nats-server the NATS tests run against (tests/support/nats_server_process.*):
// it greets clients with INFO on its port, a frozen server greets no one until resumed, and a
// crashed one comes back on the same port. Raw sockets only.
#include "nats_server_process.hpp"

#include <gtest/gtest.h>

#include "rabbitmq_server_process.hpp"
#include "server_process.hpp"

namespace switchboard::test {
namespace {

using namespace std::chrono_literals;

// A generous bound for a greeting from a server that is up (it takes microseconds; the
// machine is shared by builds).
constexpr auto kAnswerWithin = 5s;

TEST(NatsServerProcess, GreetsWithInfoOnItsLoopbackPort) {
  auto server = NatsServerProcess::start();
  EXPECT_TRUE(nats_greets(server.port(), kAnswerWithin));
  EXPECT_FALSE(amqp_greets(server.port(), 500ms));  // the probes tell the protocols apart
  EXPECT_EQ(server.url(), "nats://127.0.0.1:" + std::to_string(server.port()));
}

TEST(NatsServerProcess, PausedServerGreetsNoOneUntilResumed) {
  auto server = NatsServerProcess::start();
  server.pause();
  // The kernel still accepts the connection; the frozen process never writes INFO. 300 ms
  // is ample for a running server's greeting, so silence means frozen.
  EXPECT_FALSE(nats_greets(server.port(), 300ms));
  server.resume();
  EXPECT_TRUE(nats_greets(server.port(), kAnswerWithin));
}

TEST(NatsServerProcess, CrashedServerComesBackOnItsPort) {
  auto server = NatsServerProcess::start();
  const auto port = server.port();
  server.kill();
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(nats_greets(port, 500ms));  // refused at once: nothing listens
  server.restart();
  EXPECT_EQ(server.port(), port);
  EXPECT_TRUE(nats_greets(port, kAnswerWithin));
}

}  // namespace
}  // namespace switchboard::test
