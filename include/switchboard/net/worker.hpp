#pragma once
// A worker: one thread, one io_context, one listening socket on the shared port
// (SO_REUSEPORT), the connections accepted there, and their endpoints. Nothing a worker owns is
// touched by another thread; the only cross-thread operation is post().
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/config/config.hpp"
#include "switchboard/net/counters.hpp"
#include "switchboard/net/endpoint.hpp"
#include "switchboard/net/handover.hpp"
#include "switchboard/ws/deflate.hpp"
#include "switchboard/ws/handshake.hpp"
#include "switchboard/ws/message_reader.hpp"

namespace switchboard::http {
class Router;
}

namespace switchboard::net {

class Connection;
class Server;
class TlsContext;

class Worker {
 public:
  using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp,
                                                      boost::asio::io_context::executor_type>;

  Worker(Server& server, unsigned index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Any thread: runs `f` on this worker's thread, in order with other posted work.
  template <class F>
  void post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }

  unsigned index() const noexcept { return index_; }
  Server& server() noexcept { return server_; }
  const config::Config& config() const noexcept { return config_; }
  boost::asio::io_context& io() noexcept { return io_; }
  WorkerCounters& counters() noexcept { return counters_; }
  const WorkerCounters& counters() const noexcept { return counters_; }

  // --- Worker thread only -------------------------------------------------------------
  // Milliseconds since the worker started, wrapping after 49 days (compare by difference).
  std::uint32_t now() const noexcept;
  // The read buffer every connection of this worker reads into (reads are never concurrent).
  std::uint8_t* read_buffer() noexcept { return read_buffer_.data(); }
  std::size_t read_buffer_size() const noexcept { return read_buffer_.size(); }
  // TLS: the context (nullptr: plain TCP) and the buffer a TLS connection gathers its queued
  // frames into for one record-sized write.
  const TlsContext* tls() const noexcept;
  std::uint8_t* tls_write_buffer() noexcept { return tls_write_buffer_.data(); }
  std::size_t tls_write_buffer_size() const noexcept { return tls_write_buffer_.size(); }
  const http::Router& router() const noexcept;
  const ws::HandshakePolicy& handshake_policy() const noexcept { return policy_; }
  ws::ReaderLimits reader_limits() const noexcept;
  // Compresses outgoing messages once for every deflate connection (null if deflate is off).
  ws::Deflater* deflater() noexcept { return deflater_.get(); }
  Endpoint* endpoint(std::string_view path) noexcept;
  bool draining() const noexcept;

  // Adds `connection` to the list flushed at the end of this loop turn (cork).
  void schedule_flush(Connection& connection);
  // The worker's epoll set: `fd` is watched edge-triggered for `connection` until unwatched.
  bool watch(int fd, Connection& connection);
  void unwatch(int fd);

  // A finished connection is destroyed once no operation refers to it any more.
  void retire(Connection& connection);
  void schedule_reclaim();
  // Takes a connection another worker (or the host application, Server::adopt) accepted and
  // handed over.
  void adopt(Handover handover);
  // The handover's context while the request it came with is handled (Endpoint::on_upgrade and
  // on_open run inside; Connection::resume sets it around that request only); nullptr otherwise.
  const std::any* upgrade_context() const noexcept { return upgrade_context_; }
  void set_upgrade_context(const std::any* context) noexcept { upgrade_context_ = context; }
  // The upgrade moving to another worker, between its evaluation and its handover (one at a
  // time: both happen in one call of the connection's parse loop).
  Handover& moving() noexcept { return moving_; }

  // --- Called by the Server -----------------------------------------------------------
  void add_endpoint(const std::string& path, const EndpointFactory& factory);
  void listen(const boost::asio::ip::tcp::endpoint& where);  // throws on failure
  void run();                                   // the thread body
  void begin_drain(std::chrono::milliseconds period);  // posted by Server::drain
  void stop();                                  // any thread: stop the loop now
  std::size_t connection_count() const noexcept { return connection_count_; }

 private:
  void accept();
  void accept_ready();
  void wait_events();
  void dispatch_events();
  void flush_dirty();
  void reclaim();
  void arm_sweep();
  void sweep();
  void drain_step();
  void link(Connection& c);
  void unlink(Connection& c);

  Server& server_;
  unsigned index_;
  const config::Config& config_;
  boost::asio::io_context io_{1};  // concurrency hint 1: one thread, no locking inside Asio
  Acceptor acceptor_;
  // Every connection's socket is in this edge-triggered epoll set; Asio watches only the set
  // itself (one descriptor), so a connection costs no Asio registration or pending operation.
  boost::asio::posix::stream_descriptor events_;
  boost::asio::steady_timer sweep_timer_;
  std::chrono::steady_clock::time_point started_;
  WorkerCounters counters_;
  ws::HandshakePolicy policy_;
  std::unique_ptr<ws::Deflater> deflater_;
  Handover moving_;
  const std::any* upgrade_context_ = nullptr;
  std::vector<std::uint8_t> read_buffer_;
  std::vector<std::uint8_t> tls_write_buffer_;
  std::map<std::string, std::unique_ptr<Endpoint>, std::less<>> endpoints_;

  Connection* connections_ = nullptr;  // intrusive list of live connections
  std::size_t connection_count_ = 0;
  std::uint64_t next_id_ = 0;
  std::vector<Connection*> dirty_;     // connections with queued bytes to write this turn
  bool flush_posted_ = false;
  std::vector<Connection*> retired_;
  bool reclaim_posted_ = false;

  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  bool stopping_ = false;
  bool accept_paused_ = false;
  bool events_armed_ = false;     // an Asio wait on the epoll set is pending
  bool dispatch_posted_ = false;  // a continuation of dispatch_events is queued
};

}  // namespace switchboard::net
