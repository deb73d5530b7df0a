#include "switchboard/net/server.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "switchboard/http/prometheus.hpp"
#include "switchboard/net/worker.hpp"

namespace switchboard::net {

Server::Server(config::Config config) : config_(std::move(config)) {
  unsigned n = config_.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  config_.workers = n;
  // A configuration built in code rather than loaded may leave the hard limit at "derived".
  if (config_.outbound_queue_hard_limit == 0) {
    config_.outbound_queue_hard_limit = 16 * config_.outbound_queue_limit;
  }
  if (!config_.tls_cert_file.empty()) {
    tls_ = std::make_unique<TlsContext>(config_.tls_cert_file, config_.tls_key_file);
  }
  workers_.reserve(n);
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
}

Server::~Server() {
  stop();
  wait();
}

void Server::add_endpoint(std::string path, EndpointFactory factory) {
  for (auto& w : workers_) w->add_endpoint(path, factory);
}

void Server::start() {
  if (config_.listen) {
    const boost::asio::ip::tcp::endpoint where(
        boost::asio::ip::make_address(config_.bind_address), config_.port);
    for (auto& w : workers_) w->listen(where);
  }
  started_.store(true, std::memory_order_release);
  running_workers_.store(static_cast<unsigned>(workers_.size()), std::memory_order_release);
  for (auto& w : workers_) {
    threads_.emplace_back([this, worker = w.get()] {
      // Named, so that top -H, perf and chrt can tell the threads apart.
      const std::string name = "sb-worker-" + std::to_string(worker->index());
      pthread_setname_np(pthread_self(), name.c_str());
      worker->run();
      running_workers_.fetch_sub(1, std::memory_order_acq_rel);
    });
  }
  if (config_.listen) {
    spdlog::info("switchboard listening on {}:{} ({}) with {} worker(s)", config_.bind_address,
                 config_.port, tls_ ? "TLS" : "plain TCP", workers_.size());
  } else {
    spdlog::info("switchboard running with {} worker(s) on connections its host hands over "
                 "(listen = false: no port of its own)",
                 workers_.size());
  }
}

void Server::adopt(Handover handover) {
  if (handover.fd < 0) throw std::invalid_argument("adopt: no socket");
  // On every way out but the worker's, the handover closes the socket.
  if (!started_.load(std::memory_order_acquire)) {
    throw std::logic_error("adopt: the server has not been started");
  }
  // The worker's connections are non-blocking, Nagle off, like the ones it accepts.
  const int flags = ::fcntl(handover.fd, F_GETFL);
  if (flags < 0 || ::fcntl(handover.fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    throw std::system_error(errno, std::generic_category(), "adopt: fcntl");
  }
  ::fcntl(handover.fd, F_SETFD, FD_CLOEXEC);
  const int one = 1;
  ::setsockopt(handover.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (running_workers_.load(std::memory_order_acquire) == 0) {
    return;  // nobody would answer it: the client sees the connection end now
  }
  // The least loaded worker, by its open connections (relaxed reads: a hint is enough). The
  // search starts at the next worker each time, so that a burst the counters have not seen
  // yet is spread rather than all given to the first.
  const auto n = static_cast<unsigned>(workers_.size());
  const unsigned start = next_adoption_.fetch_add(1, std::memory_order_relaxed) % n;
  unsigned target = start;
  std::uint64_t least = UINT64_MAX;
  for (unsigned k = 0; k < n; ++k) {
    const unsigned i = (start + k) % n;
    const auto& c = workers_[i]->counters();
    const std::uint64_t load = c.ws_connections.value() + c.http_connections.value();
    if (load < least) {
      least = load;
      target = i;
    }
  }
  handover.worker = target;
  Worker& owner = *workers_[target];
  // Shared: a posted task must be copyable. Never run (the worker stopped first), it closes
  // the socket as it is destroyed.
  auto pending = std::make_shared<Handover>(std::move(handover));
  owner.post([&owner, pending] {
    owner.counters().adopted_total.add();
    owner.adopt(std::move(*pending));
  });
}

void Server::drain() {
  if (draining_.exchange(true)) return;
  spdlog::info("draining: closing connections over {} ms", config_.drain_period.count());
  for (auto& w : workers_) {
    w->post([worker = w.get(), period = config_.drain_period] { worker->begin_drain(period); });
  }
}

void Server::stop() {
  for (auto& w : workers_) w->stop();
}

void Server::wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::uint64_t Server::ws_connections() const noexcept {
  std::uint64_t total = 0;
  for (const auto& w : workers_) total += w->counters().ws_connections.value();
  return total;
}

namespace {

template <class Get>
std::uint64_t sum(const std::vector<std::unique_ptr<Worker>>& workers, Get get) {
  std::uint64_t total = 0;
  for (const auto& w : workers) total += get(w->counters());
  return total;
}

}  // namespace

void Server::write_metrics(http::PrometheusWriter& out) const {
  using C = WorkerCounters;
  struct Simple {
    const char* name;
    const char* type;
    const char* help;
    const Counter C::*member;
  };
  static constexpr Simple kSimple[] = {
      {"switchboard_connections", "gauge", "Open WebSocket connections.", &C::ws_connections},
      {"switchboard_http_connections", "gauge", "TCP connections not upgraded (yet).",
       &C::http_connections},
      {"switchboard_accepted_total", "counter", "TCP connections accepted.", &C::accepted_total},
      {"switchboard_adopted_total", "counter",
       "Connections handed over by the host application's own HTTP server (Gateway::adopt).",
       &C::adopted_total},
      {"switchboard_http_requests_total", "counter", "Plain HTTP requests served.",
       &C::http_requests_total},
      {"switchboard_http_discarded_bytes_total", "counter",
       "Bytes received after a response that closes the connection, discarded unparsed.",
       &C::http_discarded_bytes_total},
      {"switchboard_messages_in_total", "counter", "WebSocket messages received.",
       &C::messages_in_total},
      {"switchboard_bytes_in_total", "counter", "WebSocket bytes received.", &C::bytes_in_total},
      {"switchboard_messages_out_total", "counter", "WebSocket messages queued to connections.",
       &C::messages_out_total},
      {"switchboard_bytes_out_total", "counter", "Bytes written to sockets.", &C::bytes_out_total},
      {"switchboard_slow_consumer_closes_total", "counter",
       "Connections closed (4008) because their outbound queue exceeded its bound.",
       &C::slow_consumer_total},
      {"switchboard_dropped_bytes_total", "counter",
       "Queued outbound bytes discarded when a slow consumer was cut off.",
       &C::dropped_bytes_total},
      {"switchboard_idle_timeouts_total", "counter", "Connections closed (4009) for silence.",
       &C::idle_timeout_total},
      {"switchboard_broadcasts_total", "counter", "Messages fanned out, counted per worker.",
       &C::broadcast_total},
  };
  for (const auto& m : kSimple) {
    out.family(m.name, m.type, m.help);
    out.sample(m.name, sum(workers_, [&](const C& c) { return (c.*m.member).value(); }));
  }

  out.family("switchboard_handshakes_total", "counter", "WebSocket handshakes by result.");
  for (std::size_t r = 0; r < static_cast<std::size_t>(HandshakeResult::count_); ++r) {
    out.sample("switchboard_handshakes_total",
               sum(workers_, [&](const C& c) { return c.handshakes[r].value(); }),
               {{"result", to_string(static_cast<HandshakeResult>(r))}});
  }

  out.family("switchboard_closes_total", "counter",
             "Close frames sent by code (1006: connection lost without a closing handshake).");
  for (std::size_t i = 0; i < CloseCodeCounters::kSlots; ++i) {
    const std::uint64_t v = sum(workers_, [&](const C& c) { return c.closes.value_at(i); });
    if (v == 0) continue;
    const std::uint16_t code = CloseCodeCounters::code_of(i);
    const std::string label = code == 0 ? "other" : std::to_string(code);
    out.sample("switchboard_closes_total", v, {{"code", label}});
  }

  out.family("switchboard_worker_connections", "gauge", "Open WebSocket connections per worker.");
  for (const auto& w : workers_) {
    const std::string index = std::to_string(w->index());
    out.sample("switchboard_worker_connections", w->counters().ws_connections.value(),
               {{"worker", index}});
  }
  for (const auto& source : metrics_sources_) source(out);
}

void Server::add_metrics_source(std::function<void(http::PrometheusWriter&)> source) {
  metrics_sources_.push_back(std::move(source));
}

const char* to_string(HandshakeResult r) noexcept {
  switch (r) {
    case HandshakeResult::ok: return "ok";
    case HandshakeResult::bad_request: return "bad_request";
    case HandshakeResult::method_not_allowed: return "method_not_allowed";
    case HandshakeResult::forbidden: return "forbidden";
    case HandshakeResult::not_found: return "not_found";
    case HandshakeResult::upgrade_required: return "upgrade_required";
    case HandshakeResult::too_large: return "too_large";
    case HandshakeResult::unavailable: return "unavailable";
    case HandshakeResult::rejected: return "rejected";
    case HandshakeResult::timeout: return "timeout";
    case HandshakeResult::count_: break;
  }
  return "unknown";
}

}  // namespace switchboard::net
