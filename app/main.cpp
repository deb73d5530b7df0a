// switchboard: flags, signals, wiring — nothing else.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <thread>

#include "switchboard/config/config.hpp"
#include "switchboard/config/logging.hpp"
#include "switchboard/gateway.hpp"
#include "switchboard/net/broadcast_endpoint.hpp"
#include "switchboard/net/echo_endpoint.hpp"
#include "switchboard/net/server.hpp"

extern char** environ;

namespace {

// Signals are taken synchronously by one thread (sigwait), so no handler runs inside a worker.
// The first SIGTERM/SIGINT drains; a second one stops at once.
void handle_signals(switchboard::net::Server& server, const sigset_t& set) {
  int signal = 0;
  bool drained = false;
  while (sigwait(&set, &signal) == 0) {
    if (signal == SIGUSR1) return;  // the server ended by itself
    if (!drained) {
      spdlog::info("signal {}: draining", signal);
      server.drain();
      drained = true;
    } else {
      spdlog::warn("signal {} again: stopping now", signal);
      server.stop();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace config = switchboard::config;
  namespace net = switchboard::net;

  config::LoadResult loaded = config::load(argc, argv, environ);
  if (!loaded.config) {
    std::fputs(loaded.message.c_str(), loaded.exit_code == 0 ? stdout : stderr);
    if (!loaded.message.empty() && loaded.message.back() != '\n') {
      std::fputc('\n', loaded.exit_code == 0 ? stdout : stderr);
    }
    return loaded.exit_code;
  }
  config::setup_logging(*loaded.config);
  if (!loaded.config->listen) {
    // Only a host application hands connections over (Gateway::adopt): this binary has none.
    std::fputs("listen = false is for the library inside a host application's HTTP server "
               "(Gateway::adopt): the switchboard server would serve nobody\n",
               stderr);
    return 2;
  }

  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every worker thread

  try {
    switchboard::Gateway gateway(*loaded.config);
    net::Server& server = gateway.server();
    // Transport-only modes beside the gateway's endpoint (conformance suites, benchmarks).
    if (server.config().echo) server.add_endpoint("/echo", net::make_echo_endpoint());
    if (server.config().broadcast) {
      server.add_endpoint("/broadcast", net::make_broadcast_endpoint(server));
    }
    gateway.start();
    std::thread signal_thread([&] { handle_signals(server, signals); });
    gateway.wait();
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
