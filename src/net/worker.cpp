#include "switchboard/net/worker.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>
#include <boost/asio/socket_base.hpp>

#include "switchboard/config/logging.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/server.hpp"
#include "switchboard/ws/close_code.hpp"

namespace switchboard::net {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
// One TLS record's worth of plaintext per SSL_write.
constexpr std::size_t kTlsWriteSize = 16 * 1024;
// Readiness events taken per epoll_wait, and batches handled before other work gets a turn.
constexpr int kEventBatch = 256;
constexpr int kEventBatchesPerTurn = 4;
constexpr std::chrono::milliseconds kDrainTick{100};

// SO_REUSEPORT lets every worker bind its own listening socket to the same port; the kernel
// spreads incoming connections across them (no shared accept queue, no thundering herd).
struct ReusePort {
  template <class Protocol>
  int level(const Protocol&) const {
    return SOL_SOCKET;
  }
  template <class Protocol>
  int name(const Protocol&) const {
    return SO_REUSEPORT;
  }
  template <class Protocol>
  const int* data(const Protocol&) const {
    return &value;
  }
  template <class Protocol>
  std::size_t size(const Protocol&) const {
    return sizeof(value);
  }
  int value = 1;
};

// The sweep runs often enough to honour the shortest timeout within a quarter of it: the
// transport's own and those the gateway's endpoint runs from the sweep (auth deadline, typing
// expiry, acknowledgement retries, presence refreshes: due every third of presence_ttl, they
// must not slip past the TTL itself; Engine.IO's heartbeat).
std::chrono::milliseconds sweep_period(const config::Config& c) {
  constexpr std::chrono::milliseconds off{0};
  auto positive = [](std::chrono::milliseconds d) {
    return d.count() > 0 ? d : std::chrono::milliseconds(std::chrono::hours(1));
  };
  auto shortest = std::min({positive(c.handshake_timeout), positive(c.ping_interval),
                            positive(c.idle_timeout), positive(c.auth_timeout),
                            positive(c.typing_ttl), positive(c.ack_retry_initial),
                            positive(c.presence_ttl), positive(c.outbound_queue_grace),
                            positive(c.socketio ? c.socketio_ping_timeout : off),
                            positive(c.socketio ? c.socketio_ping_interval : off)});
  return std::clamp(shortest / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

ws::HandshakePolicy make_policy(const config::Config& c) {
  ws::HandshakePolicy policy;
  policy.allowed_origins = c.allowed_origins;
  policy.subprotocols = c.subprotocols;
  policy.deflate.enabled = c.deflate;
  policy.deflate.min_size = c.deflate_min_size;
  return policy;
}

}  // namespace

Worker::Worker(Server& server, unsigned index)
    : server_(server),
      index_(index),
      config_(server.config()),
      acceptor_(io_.get_executor()),
      events_(io_),
      sweep_timer_(io_),
      started_(std::chrono::steady_clock::now()),
      policy_(make_policy(config_)),
      read_buffer_(kReadBufferSize) {
  if (server.tls() != nullptr) tls_write_buffer_.resize(kTlsWriteSize);
  if (config_.deflate) deflater_ = std::make_unique<ws::Deflater>();
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  events_.assign(epoll_fd);
}

Worker::~Worker() {
  // Connections are destroyed with the worker; their sockets close without callbacks.
  while (connections_ != nullptr) {
    Connection* c = connections_;
    unlink(*c);
    delete c;
  }
  for (Connection* c : retired_) delete c;
}

std::uint32_t Worker::now() const noexcept {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - started_)
                                        .count());
}

const http::Router& Worker::router() const noexcept { return server_.router(); }

const TlsContext* Worker::tls() const noexcept { return server_.tls(); }

ws::ReaderLimits Worker::reader_limits() const noexcept {
  return ws::ReaderLimits{config_.max_message_size, true};
}

Endpoint* Worker::endpoint(std::string_view path) noexcept {
  auto it = endpoints_.find(path);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

bool Worker::draining() const noexcept { return draining_ || server_.draining(); }

void Worker::add_endpoint(const std::string& path, const EndpointFactory& factory) {
  endpoints_[path] = factory(*this);
}

void Worker::listen(const boost::asio::ip::tcp::endpoint& where) {
  acceptor_.open(where.protocol());
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor_.set_option(ReusePort{});
  acceptor_.bind(where);
  acceptor_.listen(boost::asio::socket_base::max_listen_connections);
  acceptor_.non_blocking(true);
}

void Worker::run() {
  config::set_log_worker(index_);
  if (acceptor_.is_open()) accept();
  wait_events();
  arm_sweep();
  io_.run();
}

void Worker::stop() { io_.stop(); }

// ---------------------------------------------------------------------------------------
// Accepting

void Worker::accept() {
  acceptor_.async_wait(Acceptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    accept_ready();
  });
}

// Accepts what the listen queue holds (bounded per turn), then waits for more.
void Worker::accept_ready() {
  for (int i = 0; i < kEventBatch; ++i) {
    const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return accept();
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      // Out of descriptors or memory: pause instead of spinning; the sweep resumes accepting.
      spdlog::warn("worker {}: accept failed: {}", index_, std::strerror(errno));
      accept_paused_ = true;
      return;
    }
    counters_.accepted_total.add();
    auto* connection = new Connection(*this, fd, (next_id_++ << 8) | index_);
    link(*connection);
    connection->start();
  }
  // More may be waiting and no new edge would say so: continue after other work.
  post([this] {
    if (acceptor_.is_open()) accept_ready();
  });
}

void Worker::adopt(Handover handover) {
  auto* connection = new Connection(*this, std::exchange(handover.fd, -1),
                                    (next_id_++ << 8) | index_);
  link(*connection);
  connection->resume(std::move(handover));
}

void Worker::link(Connection& c) {
  c.next_ = connections_;
  c.prev_ = nullptr;
  if (connections_ != nullptr) connections_->prev_ = &c;
  connections_ = &c;
  ++connection_count_;
}

void Worker::unlink(Connection& c) {
  if (c.prev_ != nullptr) c.prev_->next_ = c.next_;
  if (c.next_ != nullptr) c.next_->prev_ = c.prev_;
  if (connections_ == &c) connections_ = c.next_;
  c.prev_ = c.next_ = nullptr;
  --connection_count_;
}

// ---------------------------------------------------------------------------------------
// Readiness of the connections' sockets: one edge-triggered epoll set per worker.

bool Worker::watch(int fd, Connection& connection) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = &connection;
  return ::epoll_ctl(events_.native_handle(), EPOLL_CTL_ADD, fd, &event) == 0;
}

void Worker::unwatch(int fd) {
  ::epoll_ctl(events_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
}

void Worker::wait_events() {
  if (events_armed_) return;
  events_armed_ = true;
  events_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       events_armed_ = false;
                       if (ec) return;
                       dispatch_events();
                     });
}

void Worker::dispatch_events() {
  epoll_event events[kEventBatch];
  for (int batch = 0; batch < kEventBatchesPerTurn; ++batch) {
    const int n = ::epoll_wait(events_.native_handle(), events, kEventBatch, 0);
    // A connection finished by an event stays allocated until a later loop turn (retire), so
    // the rest of the batch may still name it: on_events ignores finished connections.
    for (int i = 0; i < n; ++i) {
      static_cast<Connection*>(events[i].data.ptr)->on_events(events[i].events);
    }
    if (n < kEventBatch) {
      if (events_armed_) return;
      // Drained: wait for the set to become readable again, then look once more — an event
      // that arrived between the last epoll_wait and the arming raised its edge unwatched.
      wait_events();
    }
  }
  // A flood: let timers and posted work run, then go on.
  if (dispatch_posted_) return;
  dispatch_posted_ = true;
  post([this] {
    dispatch_posted_ = false;
    dispatch_events();
  });
}

// ---------------------------------------------------------------------------------------
// Cork: every connection that had bytes queued during this loop turn is written once, with
// one gather write, by a single posted task — however many messages were queued to it.

void Worker::schedule_flush(Connection& connection) {
  connection.flush_scheduled_ = true;
  dirty_.push_back(&connection);
  if (flush_posted_) return;
  flush_posted_ = true;
  post([this] { flush_dirty(); });
}

void Worker::flush_dirty() {
  flush_posted_ = false;
  std::vector<Connection*> batch;
  batch.swap(dirty_);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i + 4 < batch.size()) __builtin_prefetch(batch[i + 4]);
    Connection* c = batch[i];
    c->flush_scheduled_ = false;
    c->flush();
    if (c->reclaimable()) schedule_reclaim();
  }
  // Keep the vector's capacity for the next turn.
  if (dirty_.empty()) {
    batch.clear();
    dirty_.swap(batch);
  }
}

// ---------------------------------------------------------------------------------------
// Deferred deletion: never destroy a connection inside its own callback.

void Worker::retire(Connection& connection) {
  unlink(connection);
  retired_.push_back(&connection);
  schedule_reclaim();
}

void Worker::schedule_reclaim() {
  if (reclaim_posted_) return;
  reclaim_posted_ = true;
  post([this] { reclaim(); });
}

void Worker::reclaim() {
  reclaim_posted_ = false;
  auto keep = std::partition(retired_.begin(), retired_.end(),
                             [](Connection* c) { return !c->reclaimable(); });
  for (auto it = keep; it != retired_.end(); ++it) delete *it;
  retired_.erase(keep, retired_.end());
  if (stopping_ && connections_ == nullptr && retired_.empty()) io_.stop();
}

// ---------------------------------------------------------------------------------------
// Liveness sweep and drain: one timer per worker, not one per socket.

void Worker::arm_sweep() {
  sweep_timer_.expires_after(draining_ ? kDrainTick : sweep_period(config_));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sweep();
    arm_sweep();
  });
}

void Worker::sweep() {
  const std::uint32_t t = now();
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next_;  // on_sweep may retire c
    c->on_sweep(t);
    c = next;
  }
  for (auto& [path, endpoint] : endpoints_) endpoint->on_sweep(t);
  if (accept_paused_) {
    accept_paused_ = false;
    accept();
  }
  if (draining_) drain_step();
}

void Worker::begin_drain(std::chrono::milliseconds period) {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = std::chrono::steady_clock::now() + period;
  sweep_timer_.cancel();
  drain_step();
  arm_sweep();
}

void Worker::drain_step() {
  // Close open WebSocket connections at a pace that spreads them over the drain period, so
  // clients do not all reconnect in the same instant.
  const auto now_tp = std::chrono::steady_clock::now();
  const auto left = drain_deadline_ - now_tp;
  std::size_t open = 0;
  for (Connection* c = connections_; c != nullptr; c = c->next_) open += c->is_open() ? 1 : 0;
  std::size_t quota = open;
  if (left > kDrainTick) {
    const double ticks_left = static_cast<double>(left / kDrainTick);
    quota = static_cast<std::size_t>(static_cast<double>(open) / ticks_left + 0.999);
  }
  for (Connection* c = connections_; c != nullptr && quota > 0;) {
    Connection* next = c->next_;
    if (c->is_open()) {
      c->close(ws::close_code::kServiceRestart, "server restart");
      --quota;
    }
    c = next;
  }
  if (open == 0 && now_tp >= drain_deadline_) {
    // Everything is closed or closing: stop accepting and end once the last socket is gone.
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (Connection* c = connections_; c != nullptr;) {
      Connection* next = c->next_;
      if (c->is_http()) c->abort();
      c = next;
    }
    if (connections_ == nullptr && retired_.empty()) io_.stop();
  }
}

}  // namespace switchboard::net
