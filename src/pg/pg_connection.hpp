#pragma once
// PgConnection: one PostgreSQL session driven by libpq's asynchronous API from an Asio
// executor (the ingress thread): never a blocking call, so one thread serves every query and
// notification of the sources on it.
//
// - Connects with PQconnectStartParams/PQconnectPoll, waiting on PQsocket() with a
//   posix::stream_descriptor (released, never closed: libpq owns the socket), and reconnects
//   after every loss with a jittered backoff (100 ms … 5 s). on_up() runs after each connect.
// - A statement timeout is set for the session (options=-c statement_timeout=…): a query the
//   server runs too long fails with SQLSTATE 57014. A server that does not answer at all (frozen,
//   a dead network) is caught by a client-side deadline, the statement timeout plus
//   `grace`: the connection is dropped and made again (the server rolls back what it had open).
// - Queries run one at a time in FIFO order; each gets its whole result (the rows as text)
//   once. While down, a query fails at once: the caller decides when to try again.
// - LISTEN/NOTIFY: every notification read from the socket, between queries or during one,
//   goes to on_notify().
//
// Thread safety: everything on the executor, except up(), status() and connects() (any thread).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "switchboard/engine/backoff.hpp"

struct pg_conn;  // libpq's PGconn

namespace switchboard::pg {

struct PgOptions {
  std::string dsn;
  std::chrono::milliseconds statement_timeout{5000};  // 0: none (the server's default)
  std::chrono::milliseconds connect_timeout{5000};
  // Added to the statement timeout for the client-side deadline of each query.
  std::chrono::milliseconds grace{2000};
};

// One statement's outcome: the rows (each value text, nullopt for NULL) or why it failed.
struct PgResult {
  bool ok = false;
  std::string error;     // libpq's or the server's message, one line
  std::string sqlstate;  // e.g. "57014" (statement timeout), "42P01" (no such table); may be empty
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::uint64_t affected = 0;  // rows a DELETE/UPDATE/INSERT touched
};

using PgParams = std::vector<std::optional<std::string>>;
using PgDone = std::function<void(PgResult)>;

class PgConnection : public std::enable_shared_from_this<PgConnection> {
 public:
  static std::shared_ptr<PgConnection> create(boost::asio::any_io_executor executor,
                                              PgOptions options);
  ~PgConnection();

  // Set before start().
  void on_up(std::function<void()> f) { on_up_ = std::move(f); }
  void on_down(std::function<void(const std::string& reason)> f) { on_down_ = std::move(f); }
  void on_notify(std::function<void(const std::string& channel, const std::string& payload)> f) {
    on_notify_ = std::move(f);
  }

  void start();
  // Closes the session; queued queries fail ("stopped"). Idempotent.
  void stop();

  // Runs `sql` with text parameters $1…; `done` runs once, on the executor, never inside
  // this call.
  void query(std::string sql, PgParams params, PgDone done);

  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }
  std::string status() const;  // why it is down; "connected" when up
  std::uint64_t connects() const noexcept { return connects_.load(std::memory_order_relaxed); }

 private:
  struct Private {};

 public:
  PgConnection(Private, boost::asio::any_io_executor executor, PgOptions options);

 private:
  struct Call {
    std::string sql;
    PgParams params;
    PgDone done;
  };

  void connect();
  void poll_connect(int polling);  // PostgresPollingStatusType
  void track_socket();
  void connected();
  void lost(const std::string& reason);
  void reconnect_later();
  void wait_read();
  void wait_write();
  void wait(boost::asio::posix::stream_descriptor::wait_type which, bool PgConnection::*pending,
            void (PgConnection::*then)());
  void readable();
  void pump();
  void flush();
  void finish_call(PgResult result);
  void fail(Call call, std::string reason);
  void set_status(std::string s);

  boost::asio::any_io_executor executor_;
  PgOptions options_;
  pg_conn* conn_ = nullptr;
  boost::asio::posix::stream_descriptor socket_;
  int socket_fd_ = -1;
  std::uint64_t generation_ = 0;  // one per connection attempt: stale waits do nothing
  bool connecting_ = false;
  bool ready_ = false;
  bool stopped_ = false;
  bool started_ = false;
  bool reading_ = false;
  bool writing_ = false;
  int connect_polling_ = 0;  // what PQconnectPoll last asked for
  boost::asio::steady_timer deadline_;  // connect or the call in flight
  boost::asio::steady_timer retry_;
  engine::Backoff backoff_{std::chrono::milliseconds(100), std::chrono::milliseconds(5000)};
  std::deque<Call> calls_;
  std::optional<Call> in_flight_;
  PgResult partial_;  // the in-flight call's result while libpq returns it piecewise
  bool partial_set_ = false;

  std::function<void()> on_up_;
  std::function<void(const std::string&)> on_down_;
  std::function<void(const std::string&, const std::string&)> on_notify_;

  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> connects_{0};
  mutable std::mutex status_mutex_;
  std::string status_ = "not connected yet";
};

}  // namespace switchboard::pg
