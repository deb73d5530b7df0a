#pragma once
// The transport server: N workers sharing one port, the HTTP routes served on it, the
// WebSocket endpoints by path, and the drain that ends it.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "switchboard/config/config.hpp"
#include "switchboard/net/tls.hpp"
#include "switchboard/http/router.hpp"
#include "switchboard/net/endpoint.hpp"
#include "switchboard/net/handover.hpp"

namespace switchboard::http {
class PrometheusWriter;
}

namespace switchboard::net {

class Worker;

// Thread safety: configure (router(), add_endpoint()) before start(); afterwards drain(),
// stop(), draining() and the counters may be called from any thread.
class Server {
 public:
  explicit Server(config::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const config::Config& config() const noexcept { return config_; }
  http::Router& router() noexcept { return router_; }
  // The TLS context every connection uses, or nullptr when the port speaks plain TCP.
  const TlsContext* tls() const noexcept { return tls_.get(); }
  const http::Router& router() const noexcept { return router_; }
  // Registers the WebSocket endpoint for `path`; the factory runs once per worker.
  void add_endpoint(std::string path, EndpointFactory factory);

  // Binds every worker's listening socket (throws std::system_error, e.g. port in use) and
  // starts the worker threads.
  void start();
  // A connection the host application's own HTTP server accepted, its upgrade request parsed
  // but not answered (Gateway::adopt): it goes to the least loaded worker, which evaluates the
  // upgrade as if it had read it itself (same checks, limits and endpoint as its own, the
  // endpoint by the request's path). The socket must be plain TCP (no TLS state is carried);
  // its ownership passes here, also when this throws: std::logic_error before start(),
  // std::invalid_argument without a socket. Once the workers have stopped (stop(), or a drain
  // that ended), a socket handed over is closed unanswered. Any thread.
  void adopt(Handover handover);
  // Begins the graceful drain: new upgrades get 503, /ready answers 503, open connections are
  // closed with 1012 spread over config().drain_period, then the workers stop. Idempotent.
  void drain();
  // Stops every worker now.
  void stop();
  // Blocks until every worker thread has ended.
  void wait();

  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }
  std::size_t worker_count() const noexcept { return workers_.size(); }
  Worker& worker(std::size_t i) noexcept { return *workers_[i]; }

  // Totals across workers (relaxed reads; any thread).
  std::uint64_t ws_connections() const noexcept;
  void write_metrics(http::PrometheusWriter& out) const;
  // Adds metrics written after the transport's own (before start): the gateway's counters.
  void add_metrics_source(std::function<void(http::PrometheusWriter&)> source);

 private:
  config::Config config_;
  http::Router router_;
  std::unique_ptr<TlsContext> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};
  std::atomic<unsigned> running_workers_{0};  // worker threads not returned yet (adopt)
  std::atomic<unsigned> next_adoption_{0};    // where adopt's search for the least loaded starts
  std::vector<std::function<void(http::PrometheusWriter&)>> metrics_sources_;
};

}  // namespace switchboard::net
