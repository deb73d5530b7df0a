// The private RabbitMQ node the RabbitMQ tests run against (tests/support/
// rabbitmq_server_process.*): it speaks AMQP on its port, the shared node is one per process,
// the CLI reaches it through its own epmd, and a crashed node comes back on the same port.
// Raw sockets only: what is checked is the server, not a client library.
#include "rabbitmq_server_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <string>

#include "nats_server_process.hpp"
#include "server_process.hpp"

namespace switchboard::test {
namespace {

using namespace std::chrono_literals;

// A generous bound for an answer from a node that is up: an AMQP greeting takes milliseconds,
// but the machine is shared by builds.
constexpr auto kAnswerWithin = 5s;

TEST(RabbitMqServerProcess, SharedNodeGreetsAmqpClientsAndIsOnePerProcess) {
  RabbitMqServerProcess& node = RabbitMqServerProcess::shared();
  EXPECT_TRUE(amqp_greets(node.port(), kAnswerWithin));
  EXPECT_FALSE(nats_greets(node.port(), 300ms));  // the probes tell the protocols apart
  EXPECT_EQ(&RabbitMqServerProcess::shared(), &node);
  EXPECT_EQ(node.url(), "amqp://guest:guest@127.0.0.1:" + std::to_string(node.port()) + "/");
  // The CLI finds the node through the node's own epmd (ERL_EPMD_PORT, never 4369), and the
  // VM it reports is our child: kill() and pause() reach the server, not a wrapper shell.
  const std::string status = node.ctl({"status"});
  EXPECT_NE(status.find("OS PID: " + std::to_string(node.pid())), std::string::npos) << status;
}

TEST(RabbitMqServerProcess, CrashedNodeComesBackOnItsPortAndLeavesNothingRunning) {
  std::uint16_t port = 0, epmd_port = 0;
  pid_t vm = -1;
  {
    auto node = RabbitMqServerProcess::start();
    port = node.port();
    epmd_port = node.epmd_port();
    ASSERT_TRUE(amqp_greets(port, kAnswerWithin));

    node.kill();
    EXPECT_FALSE(node.running());
    EXPECT_FALSE(amqp_greets(port, 500ms));  // refused at once: nothing listens

    node.restart();
    EXPECT_EQ(node.port(), port);
    EXPECT_TRUE(amqp_greets(port, kAnswerWithin));
    vm = node.pid();
  }
  // Destroyed: the node and its epmd are stopped (and reaped), their ports closed.
  EXPECT_EQ(::kill(vm, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_FALSE(amqp_greets(port, 500ms));
  EXPECT_FALSE(tcp_request(epmd_port, "", 500ms, [](const std::string&) { return true; }));
}

}  // namespace
}  // namespace switchboard::test
