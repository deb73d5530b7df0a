#include "rabbitmq_server_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "server_process.hpp"
#include "test_files.hpp"

#if !defined(SB_RABBITMQ_SERVER_PATH) || !defined(SB_RABBITMQCTL_PATH) || !defined(SB_EPMD_PATH)
#error "SB_RABBITMQ_SERVER_PATH, SB_RABBITMQCTL_PATH and SB_EPMD_PATH must name the binaries (tests/support/CMakeLists.txt)"
#endif

namespace switchboard::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollStep = std::chrono::milliseconds(50);
constexpr int kStartAttempts = 3;
constexpr auto kStopGrace = std::chrono::seconds(30);
constexpr auto kCtlTimeout = std::chrono::seconds(60);

std::string unique_node_name() {
  static std::atomic<int> next{0};
  return "sbtest-" + std::to_string(::getpid()) + "-" + std::to_string(next++) + "@localhost";
}

// Three distinct free loopback ports (the kernel may hand the same one out twice).
void pick_ports(std::uint16_t& a, std::uint16_t& b, std::uint16_t& c) {
  a = pick_free_port();
  do b = pick_free_port();
  while (b == a);
  do c = pick_free_port();
  while (c == a || c == b);
}

bool accepts_connections(std::uint16_t port) {
  return tcp_request(port, "", std::chrono::milliseconds(200),
                     [](const std::string&) { return true; })
      .has_value();
}

}  // namespace

bool amqp_greets(std::uint16_t port, std::chrono::milliseconds timeout) {
  // "AMQP" 0 0 9 1 asks for AMQP 0-9-1; the server answers with a method frame: type 1,
  // channel 0 (2 bytes), payload size (4 bytes), then class 10 and method 10 (connection.start).
  static const std::string header("AMQP\x00\x00\x09\x01", 8);
  auto frame_head = tcp_request(port, header, timeout,
                                [](const std::string& got) { return got.size() >= 11; });
  return frame_head && frame_head->size() >= 11 && frame_head->compare(0, 3, "\x01\x00\x00", 3) == 0 &&
         frame_head->compare(7, 4, "\x00\x0a\x00\x0a", 4) == 0;
}

RabbitMqServerProcess::RabbitMqServerProcess(std::string dir)
    : dir_(std::move(dir)), node_name_(unique_node_name()) {
  std::ofstream(dir_ + "/enabled_plugins") << "[].\n";  // none, whatever /etc/rabbitmq says
}

RabbitMqServerProcess RabbitMqServerProcess::start(std::chrono::milliseconds ready_timeout) {
  const auto deadline = Clock::now() + ready_timeout;
  RabbitMqServerProcess server(make_temp_dir("sb-rabbitmq-"));
  for (int attempt = 0; attempt < kStartAttempts && Clock::now() < deadline; ++attempt) {
    server.epmd_.stop();
    if (!server.launch_epmd()) continue;  // its port was taken: new ports
    if (server.launch_node(deadline)) return server;
    if (server.running()) break;  // alive but not answering: other ports will not help
  }
  throw std::runtime_error("rabbitmq-server (" + server.node_name_ +
                           ") did not come up on port " + std::to_string(server.port_) +
                           "; its output ends with:\n" + server.log_tail());
}

RabbitMqServerProcess& RabbitMqServerProcess::shared() {
  static RabbitMqServerProcess server = start();
  return server;
}

RabbitMqServerProcess::RabbitMqServerProcess(RabbitMqServerProcess&& other) noexcept
    : dir_(std::exchange(other.dir_, {})),
      node_name_(std::move(other.node_name_)),
      port_(other.port_),
      dist_port_(other.dist_port_),
      epmd_port_(other.epmd_port_),
      epmd_(std::move(other.epmd_)),
      node_(std::move(other.node_)) {}

RabbitMqServerProcess::~RabbitMqServerProcess() {
  stop();
  epmd_.stop();
  remove_dir(dir_);
}

void RabbitMqServerProcess::stop() {
  node_.stop(kStopGrace);
}

void RabbitMqServerProcess::restart(std::chrono::milliseconds ready_timeout) {
  const auto deadline = Clock::now() + ready_timeout;
  stop();
  if (!epmd_.running()) spawn_epmd();
  // Right after a crash epmd may not have seen the old VM's connection close yet, and refuses
  // the name once: the node exits at once, and the next attempt gets it.
  for (int attempt = 0; attempt < kStartAttempts && Clock::now() < deadline; ++attempt) {
    if (launch_node(deadline)) return;
    if (running()) break;
  }
  throw std::runtime_error("rabbitmq-server (" + node_name_ + ") did not come back on port " +
                           std::to_string(port_) + "; its output ends with:\n" + log_tail());
}

bool RabbitMqServerProcess::launch_epmd() {
  pick_ports(port_, dist_port_, epmd_port_);
  spawn_epmd();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (!epmd_.running()) return false;
    if (accepts_connections(epmd_port_)) return true;
    std::this_thread::sleep_for(kPollStep);  // readiness has no event to wait on
  }
  return false;
}

void RabbitMqServerProcess::spawn_epmd() {
  ChildProcess::Options options;
  options.output_path = dir_ + "/epmd.out";
  epmd_ = ChildProcess::spawn(SB_EPMD_PATH,
                              {"-port", std::to_string(epmd_port_), "-address", "127.0.0.1"},
                              options);
}

bool RabbitMqServerProcess::launch_node(Clock::time_point deadline) {
  ChildProcess::Options options;
  options.env = environment();
  options.output_path = dir_ + "/rabbitmq.out";
  node_ = ChildProcess::spawn(SB_RABBITMQ_SERVER_PATH, {}, options);
  while (Clock::now() < deadline) {
    if (!node_.running()) return false;
    if (amqp_greets(port_, std::chrono::milliseconds(500))) return true;
    std::this_thread::sleep_for(kPollStep);  // readiness has no event to wait on
  }
  node_.stop();
  return false;
}

std::vector<std::string> RabbitMqServerProcess::environment() const {
  return {
      "HOME=" + dir_,  // the Erlang cookie (created on first start), shared with ctl()
      "RABBITMQ_NODENAME=" + node_name_,
      "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
      "RABBITMQ_NODE_PORT=" + std::to_string(port_),
      "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
      "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
      "RABBITMQ_MNESIA_BASE=" + dir_ + "/mnesia",
      "RABBITMQ_LOG_BASE=" + dir_ + "/log",
      "RABBITMQ_PID_FILE=" + dir_ + "/rabbitmq.pid",
      // Files that do not exist: none of the machine's /etc/rabbitmq applies.
      "RABBITMQ_CONFIG_FILE=" + dir_ + "/rabbitmq",
      "RABBITMQ_ADVANCED_CONFIG_FILE=" + dir_ + "/advanced.config",
      "RABBITMQ_CONF_ENV_FILE=" + dir_ + "/rabbitmq-env.conf",
      "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_ + "/enabled_plugins",
      "RABBITMQ_ALLOW_INPUT=1",  // exec the VM (see the header)
      "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput -kernel inet_dist_use_interface {127,0,0,1}",
  };
}

std::string RabbitMqServerProcess::ctl(const std::vector<std::string>& args) const {
  static std::atomic<int> next{0};
  const std::string output = dir_ + "/ctl-" + std::to_string(next++) + ".out";
  std::vector<std::string> argv{"-n", node_name_};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess::Options options;
  options.env = environment();
  options.output_path = output;
  auto cli = ChildProcess::spawn(SB_RABBITMQCTL_PATH, argv, options);
  auto status = cli.wait(kCtlTimeout);
  std::string printed = file_tail(output, 1 << 20);
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    throw std::runtime_error("rabbitmqctl " + (args.empty() ? "" : args.front()) + " against " +
                             node_name_ + (status ? " failed" : " took too long") + ":\n" +
                             printed);
  }
  return printed;
}

std::string RabbitMqServerProcess::log_tail() const {
  return file_tail(dir_ + "/epmd.out", 500) + file_tail(dir_ + "/rabbitmq.out", 3000);
}

}  // namespace switchboard::test
