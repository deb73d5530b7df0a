#include "pg_connection.hpp"

#include <libpq-fe.h>

#include <boost/asio/post.hpp>
#include <cstdlib>

#include "pg_dsn.hpp"

namespace switchboard::pg {

namespace asio = boost::asio;

namespace {

// libpq's messages end in a newline and may span lines: one line for logs and /health.
std::string one_line(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto& c : out) {
    if (c == '\n') c = ' ';
  }
  return out.empty() ? "unknown error" : out;
}

}  // namespace

std::shared_ptr<PgConnection> PgConnection::create(asio::any_io_executor executor,
                                                   PgOptions options) {
  return std::make_shared<PgConnection>(Private{}, std::move(executor), std::move(options));
}

PgConnection::PgConnection(Private, asio::any_io_executor executor, PgOptions options)
    : executor_(executor),
      options_(std::move(options)),
      socket_(executor),
      deadline_(executor),
      retry_(executor) {}

PgConnection::~PgConnection() {
  if (socket_.is_open()) socket_.release();
  if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::start() {
  if (started_ || stopped_) return;
  started_ = true;
  connect();
}

void PgConnection::stop() {
  if (stopped_) return;
  stopped_ = true;
  retry_.cancel();
  lost("stopped");
}

std::string PgConnection::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void PgConnection::set_status(std::string s) {
  std::lock_guard lock(status_mutex_);
  status_ = std::move(s);
}

void PgConnection::connect() {
  ++generation_;
  // The DSN's own parameters, then ours: the session's statement timeout (appended to any
  // `options` it has) and an application name unless it names one.
  std::vector<std::pair<std::string, std::string>> params = dsn_parameters(options_.dsn);
  std::string extra = options_.statement_timeout.count() > 0
                          ? "-c statement_timeout=" +
                                std::to_string(options_.statement_timeout.count())
                          : std::string();
  bool has_options = false;
  for (auto& [key, value] : params) {
    if (key == "options" && !extra.empty()) {
      value += " " + extra;
      has_options = true;
    }
  }
  if (!has_options && !extra.empty()) params.emplace_back("options", extra);
  params.emplace_back("fallback_application_name", "switchboard");
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn_ == nullptr) {
    lost("cannot allocate a connection");
    return;
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    lost(one_line(PQerrorMessage(conn_)));
    return;
  }
  connecting_ = true;
  deadline_.expires_after(options_.connect_timeout);
  deadline_.async_wait([self = shared_from_this(), g = generation_](boost::system::error_code ec) {
    if (ec || g != self->generation_ || !self->connecting_) return;
    self->lost("no connection within " + std::to_string(self->options_.connect_timeout.count()) +
               " ms");
  });
  // libpq's contract: before the first PQconnectPoll, behave as if it returned WRITING.
  poll_connect(PGRES_POLLING_WRITING);
}

void PgConnection::track_socket() {
  const int fd = PQsocket(conn_);
  if (fd == socket_fd_ && socket_.is_open()) return;
  if (socket_.is_open()) socket_.release();
  socket_fd_ = fd;
  reading_ = writing_ = false;
  if (fd >= 0) socket_.assign(fd);
}

void PgConnection::poll_connect(int polling) {
  if (polling == PGRES_POLLING_OK) {
    connected();
    return;
  }
  if (polling == PGRES_POLLING_FAILED) {
    lost(one_line(PQerrorMessage(conn_)));
    return;
  }
  track_socket();
  if (socket_fd_ < 0) {
    lost("libpq gave no socket");
    return;
  }
  connect_polling_ = polling;
  const auto which = polling == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                                      : asio::posix::stream_descriptor::wait_write;
  socket_.async_wait(which, [self = shared_from_this(), g = generation_](boost::system::error_code ec) {
    if (ec || g != self->generation_ || !self->connecting_) return;
    self->poll_connect(PQconnectPoll(self->conn_));
  });
}

void PgConnection::connected() {
  connecting_ = false;
  ready_ = true;
  deadline_.cancel();
  PQsetnonblocking(conn_, 1);
  track_socket();
  backoff_.reset();
  connects_.fetch_add(1, std::memory_order_relaxed);
  up_.store(true, std::memory_order_relaxed);
  set_status("connected");
  wait_read();
  if (on_up_) on_up_();
  pump();
}

void PgConnection::lost(const std::string& reason) {
  const bool was_ready = ready_;
  ++generation_;
  ready_ = connecting_ = false;
  reading_ = writing_ = false;
  up_.store(false, std::memory_order_relaxed);
  deadline_.cancel();
  if (socket_.is_open()) socket_.release();  // cancels its waits; libpq closes the fd
  socket_fd_ = -1;
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  partial_ = {};
  partial_set_ = false;
  if (in_flight_) {
    Call call = std::move(*in_flight_);
    in_flight_.reset();
    fail(std::move(call), reason);
  }
  while (!calls_.empty()) {
    Call call = std::move(calls_.front());
    calls_.pop_front();
    fail(std::move(call), reason);
  }
  set_status(reason);
  if (was_ready && on_down_) on_down_(reason);
  if (!stopped_) reconnect_later();
}

void PgConnection::reconnect_later() {
  retry_.expires_after(backoff_.next());
  retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->connect();
  });
}

void PgConnection::fail(Call call, std::string reason) {
  PgResult r;
  r.error = std::move(reason);
  asio::post(executor_, [done = std::move(call.done), r = std::move(r)]() mutable {
    done(std::move(r));
  });
}

void PgConnection::query(std::string sql, PgParams params, PgDone done) {
  Call call{std::move(sql), std::move(params), std::move(done)};
  if (!ready_) {
    fail(std::move(call), stopped_ ? "stopped" : "not connected: " + status());
    return;
  }
  calls_.push_back(std::move(call));
  pump();
}

void PgConnection::pump() {
  if (!ready_ || in_flight_ || calls_.empty()) return;
  in_flight_ = std::move(calls_.front());
  calls_.pop_front();
  std::vector<const char*> values;
  values.reserve(in_flight_->params.size());
  for (const auto& p : in_flight_->params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryParams(conn_, in_flight_->sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    lost(one_line(PQerrorMessage(conn_)));
    return;
  }
  const auto limit = options_.statement_timeout.count() > 0
                         ? options_.statement_timeout + options_.grace
                         : std::chrono::milliseconds(30000) + options_.grace;
  deadline_.expires_after(limit);
  deadline_.async_wait([self = shared_from_this(), g = generation_,
                        limit](boost::system::error_code ec) {
    if (ec || g != self->generation_ || !self->in_flight_) return;
    self->lost("no answer from PostgreSQL within " + std::to_string(limit.count()) + " ms");
  });
  flush();
}

void PgConnection::flush() {
  const int r = PQflush(conn_);
  if (r < 0) {
    lost(one_line(PQerrorMessage(conn_)));
  } else if (r > 0) {
    wait_write();  // the socket's buffer is full: the rest when it drains
  }
}

void PgConnection::wait_write() {
  wait(asio::posix::stream_descriptor::wait_write, &PgConnection::writing_, &PgConnection::flush);
}

void PgConnection::wait_read() {
  wait(asio::posix::stream_descriptor::wait_read, &PgConnection::reading_, &PgConnection::readable);
}

// One wait per direction at a time (`pending` says one is armed); a wait of an older
// connection finds another generation and does nothing.
void PgConnection::wait(asio::posix::stream_descriptor::wait_type which, bool PgConnection::*pending,
                        void (PgConnection::*then)()) {
  if (this->*pending) return;
  this->*pending = true;
  socket_.async_wait(which, [self = shared_from_this(), g = generation_, pending,
                             then](boost::system::error_code ec) {
    if (ec || g != self->generation_) return;
    (*self).*pending = false;
    ((*self).*then)();
  });
}

void PgConnection::readable() {
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) {
    lost(one_line(PQerrorMessage(conn_)));
    return;
  }
  const std::uint64_t g = generation_;
  while (PGnotify* n = PQnotifies(conn_)) {
    const std::string channel = n->relname;
    const std::string payload = n->extra != nullptr ? n->extra : "";
    PQfreemem(n);
    if (on_notify_) on_notify_(channel, payload);
    if (g != generation_) return;  // the handler stopped us
  }
  while (in_flight_ && PQisBusy(conn_) == 0) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      PgResult done = std::move(partial_);
      partial_ = {};
      partial_set_ = false;
      finish_call(std::move(done));
      continue;
    }
    // A statement gives one result (a failed one its error); keep the first error.
    const ExecStatusType status = PQresultStatus(r);
    if (!partial_set_ || partial_.ok) {
      PgResult out;
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        out.ok = true;
        const int rows = PQntuples(r);
        const int columns = PQnfields(r);
        out.rows.reserve(static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) {
          auto& row = out.rows.emplace_back();
          row.reserve(static_cast<std::size_t>(columns));
          for (int j = 0; j < columns; ++j) {
            if (PQgetisnull(r, i, j)) {
              row.emplace_back(std::nullopt);
            } else {
              row.emplace_back(std::string(PQgetvalue(r, i, j),
                                           static_cast<std::size_t>(PQgetlength(r, i, j))));
            }
          }
        }
        const char* affected = PQcmdTuples(r);
        if (affected != nullptr && *affected != '\0') out.affected = std::strtoull(affected, nullptr, 10);
      } else {
        out.error = one_line(PQresultErrorMessage(r));
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        out.sqlstate = state != nullptr ? state : "";
      }
      partial_ = std::move(out);
      partial_set_ = true;
    }
    PQclear(r);
  }
  if (g == generation_ && ready_) wait_read();
}

void PgConnection::finish_call(PgResult result) {
  deadline_.cancel();
  Call call = std::move(*in_flight_);
  in_flight_.reset();
  asio::post(executor_, [done = std::move(call.done), r = std::move(result)]() mutable {
    done(std::move(r));
  });
  pump();
}

}  // namespace switchboard::pg
