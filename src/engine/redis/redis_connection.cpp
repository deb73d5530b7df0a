// One Redis connection: resolve, connect, log in, pipelined commands with deadlines,
// reconnect. See redis_connection.hpp for the behaviour callers rely on.
#include "redis_connection.hpp"

#include <hiredis/async.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cctype>
#include <utility>
#include <vector>

#include "asio_adapter.hpp"

namespace switchboard::engine::redis {

namespace asio = boost::asio;

namespace {

// redisAsyncCommandArgv wants parallel arrays of pointers and lengths. Commands rarely have
// more than a handful of arguments: those fit on the stack.
int issue_argv(redisAsyncContext* ac, redisCallbackFn* fn, void* privdata,
               std::span<const std::string_view> args) {
  constexpr std::size_t kInline = 16;
  const char* argv_inline[kInline];
  std::size_t len_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> len_heap;
  const char** argv = argv_inline;
  std::size_t* len = len_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    len_heap.resize(args.size());
    argv = argv_heap.data();
    len = len_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].empty() ? "" : args[i].data();  // never a null pointer, even for ""
    len[i] = args[i].size();
  }
  return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(args.size()), argv, len);
}

// Commands after which hiredis stops matching replies to our FIFO (subscribed or monitoring
// mode). A length check first: this runs for every command.
bool changes_reply_routing(std::span<const std::string_view> args) {
  if (args.empty()) return false;
  std::string_view name = args.front();
  if (name.size() != 7 && (name.size() < 9 || name.size() > 12)) return false;
  auto is = [&](std::string_view word) {
    return name.size() == word.size() &&
           std::equal(name.begin(), name.end(), word.begin(), [](char a, char b) {
             return std::toupper(static_cast<unsigned char>(a)) == b;
           });
  };
  return is("MONITOR") || is("SUBSCRIBE") || is("PSUBSCRIBE") || is("UNSUBSCRIBE") ||
         is("PUNSUBSCRIBE");
}

std::string ms_text(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

const char* to_string(RedisState state) noexcept {
  switch (state) {
    case RedisState::down:
      return "down";
    case RedisState::connecting:
      return "connecting";
    case RedisState::connected:
      return "connected";
  }
  return "unknown";
}

RedisStats snapshot(const RedisConnectionCounters& c) noexcept {
  RedisStats s;
  s.commands = c.commands.value();
  s.writes = c.writes.value();
  s.rejected_not_connected = c.rejected_not_connected.value();
  s.rejected_in_flight = c.rejected_in_flight.value();
  s.error_replies = c.error_replies.value();
  s.failed_pending = c.failed_pending.value();
  s.timeouts = c.timeouts.value();
  s.connects = c.connects.value();
  s.in_flight = static_cast<std::size_t>(c.in_flight.value());
  return s;
}

RedisConnection::RedisConnection(asio::any_io_executor executor, RedisOptions options,
                                 std::shared_ptr<RedisConnectionCounters> counters)
    : executor_(executor),
      options_(std::move(options)),
      resolver_(executor),
      watchdog_(executor),
      retry_timer_(executor),
      backoff_(options_.reconnect_min, options_.reconnect_max),
      counters_(counters ? std::move(counters) : std::make_shared<RedisConnectionCounters>()) {}

RedisConnection::~RedisConnection() {
  destroying_ = true;
  resolver_.cancel();
  // Pending commands complete (posted) with shut_down; the timers' and resolver's handlers
  // see operation_aborted and touch nothing.
  if (ac_) {
    teardown_reason_ = RedisErrc::shut_down;
    redisAsyncFree(ac_);
  }
}

void RedisConnection::start() {
  if (phase_ != Phase::idle) return;
  begin_attempt();
}

void RedisConnection::command(std::span<const std::string_view> args, Callback done) {
  if (changes_reply_routing(args)) {
    post_failure(std::move(done), RedisErrc::unsupported_command);
  } else if (phase_ != Phase::ready) {
    counters_->rejected_not_connected.add();
    post_failure(std::move(done), RedisErrc::not_connected);
  } else if (pending_.size() >= options_.max_in_flight) {
    counters_->rejected_in_flight.add();
    post_failure(std::move(done), RedisErrc::too_many_in_flight);
  } else {
    send(args, std::move(done));
  }
}

void RedisConnection::post_failure(Callback done, RedisErrc error) {
  if (!done) return;
  asio::post(executor_, [done = std::move(done), error] { done(error, RedisReply{}); });
}

// --- Connecting -------------------------------------------------------------------------

void RedisConnection::begin_attempt() {
  phase_ = Phase::resolving;
  set_state(RedisState::connecting);
  const auto& ep = options_.endpoint;
  resolver_.async_resolve(
      ep.host, std::to_string(ep.port),
      [this, guard = std::weak_ptr<char>(guard_)](const boost::system::error_code& ec,
                                                   asio::ip::tcp::resolver::results_type results) {
        // Destroyed meanwhile: a resolution that had already finished is not aborted by the
        // resolver's cancel, so the guard, not the error code, tells.
        if (guard.expired() || ec == asio::error::operation_aborted) return;
        if (ec || results.empty()) {
          fail_attempt(RedisErrc::resolve_failed,
                       "cannot resolve '" + options_.endpoint.host + "': " + ec.message());
          return;
        }
        connect_to(results.begin()->endpoint().address().to_string());
      });
}

void RedisConnection::connect_to(const std::string& address) {
  address_ = address + ":" + std::to_string(options_.endpoint.port);
  // A numeric address: hiredis's getaddrinfo() returns without a DNS query.
  redisAsyncContext* ac = redisAsyncConnect(address.c_str(), options_.endpoint.port);
  if (!ac || ac->err) {
    std::string why = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);  // no adapter attached yet: nothing else to undo
    fail_attempt(RedisErrc::connect_failed, "cannot connect to " + address_ + ": " + why);
    return;
  }
  ac_ = ac;
  ++link_id_;
  ac->data = this;
  redisEnableKeepAlive(&ac->c);  // a peer that vanished without FIN is found eventually
  adapter_ = AsioAdapter::attach(ac, executor_, [this] { on_link_gone(); },
                                 std::shared_ptr<IoCounter>(counters_, &counters_->writes));
  phase_ = Phase::connecting;
  connect_deadline_ = Clock::now() + options_.connect_timeout;
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect_cb);  // arms the write wait
  arm_watchdog();
}

void RedisConnection::on_connect_cb(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this returns (→ on_link_gone).
    self->teardown_reason_ = RedisErrc::connect_failed;
    self->teardown_message_ = "cannot connect to " + self->address_ + ": " + ac->errstr;
    return;
  }
  self->phase_ = Phase::login;
  // Not from inside this callback: hiredis 0.14 does not defer a free requested here.
  asio::post(self->executor_,
             [self, guard = std::weak_ptr<char>(self->guard_), id = self->link_id_] {
               if (guard.expired() || self->link_id_ != id || self->phase_ != Phase::login) return;
               self->send_login();
             });
}

void RedisConnection::send_login() {
  const auto& ep = options_.endpoint;
  auto step = [this](LoginStep s) {
    return [this, s](std::error_code ec, RedisReply reply) { on_login_reply(s, ec, reply); };
  };
  if (!ep.password.empty()) {
    if (ep.username.empty()) {
      send({"AUTH", ep.password}, step(LoginStep::auth));
    } else {
      send({"AUTH", ep.username, ep.password}, step(LoginStep::auth));
    }
  }
  const std::string db = std::to_string(ep.database);
  if (ep.database != 0) send({"SELECT", db}, step(LoginStep::select));
  // Without a password, PING is what finds a server that wants one (NOAUTH) or is LOADING.
  send({"PING"}, step(LoginStep::ping));
}

void RedisConnection::on_login_reply(LoginStep step, const std::error_code& ec,
                                     const RedisReply& reply) {
  if (phase_ != Phase::login) return;  // an earlier step failed, or the link is going away
  if (ec == RedisErrc::error_reply) {
    const bool auth = step == LoginStep::auth || reply.str.rfind("NOAUTH", 0) == 0;
    const char* what = step == LoginStep::auth     ? "AUTH"
                       : step == LoginStep::select ? "SELECT"
                                                   : "PING";
    break_link(auth ? RedisErrc::auth_failed : RedisErrc::setup_failed,
               std::string(what) + " refused by " + address_ + ": " + reply.str);
  } else if (!ec && step == LoginStep::ping) {
    link_ready();
  }
}

void RedisConnection::link_ready() {
  phase_ = Phase::ready;
  backoff_.reset();
  counters_->connects.add();
  last_activity_ = Clock::now();
  arm_watchdog();
  set_state(RedisState::connected);
  if (observer_) observer_->link_up();
  if (on_connected_) {
    asio::post(executor_, [this, guard = std::weak_ptr<char>(guard_)] {
      if (!guard.expired() && on_connected_) on_connected_();
    });
  }
}

// --- Losing the link --------------------------------------------------------------------

void RedisConnection::break_link(std::error_code reason, std::string message) {
  if (!ac_ || teardown_reason_ || (ac_->c.flags & (REDIS_FREEING | REDIS_DISCONNECTING))) return;
  teardown_reason_ = reason;
  teardown_message_ = std::move(message);
  phase_ = Phase::closing;  // commands issued from here on fail with not_connected
  redisAsyncFree(ac_);      // now, or (inside a reply callback) when the callback returns
}

// hiredis's cleanup hook: the context is being freed and every pending callback has run.
void RedisConnection::on_link_gone() {
  std::error_code reason = teardown_reason_;
  std::string message = std::move(teardown_message_);
  if (!reason) {
    const std::string why = ac_->c.errstr[0] ? ac_->c.errstr : "closed";
    const bool was_up = phase_ != Phase::connecting;
    reason = was_up ? RedisErrc::connection_lost : RedisErrc::connect_failed;
    message = (was_up ? "connection to " : "cannot connect to ") + address_ + ": " + why;
  }
  teardown_reason_ = {};
  adapter_.reset();
  ac_ = nullptr;
  pending_.clear();  // already completed by hiredis; nothing may remain
  counters_->in_flight.set(0);
  if (destroying_) return;
  if (observer_) observer_->link_down(reason);
  fail_attempt(reason, std::move(message));
}

void RedisConnection::fail_attempt(std::error_code reason, std::string message) {
  last_error_ = reason;
  last_error_message_ = std::move(message);
  phase_ = Phase::waiting;
  watchdog_.cancel();
  watchdog_armed_ = false;
  set_state(RedisState::down);
  retry_timer_.expires_after(backoff_.next());
  // A timer that had already expired runs its handler even after a cancel or the
  // connection's destruction: the guard tells whether `this` is still there.
  retry_timer_.async_wait([this, guard = std::weak_ptr<char>(guard_)](
                              const boost::system::error_code& ec) {
    if (guard.expired() || ec == asio::error::operation_aborted) return;
    begin_attempt();
  });
}

// --- Commands and replies ---------------------------------------------------------------

bool RedisConnection::send(std::span<const std::string_view> args, Callback done) {
  const auto now = Clock::now();
  pending_.push_back({std::move(done), now + options_.command_timeout});
  if (issue_argv(ac_, &RedisConnection::on_reply_cb, this, args) != REDIS_OK) {
    Callback failed = std::move(pending_.back().done);
    pending_.pop_back();
    counters_->in_flight.set(pending_.size());
    counters_->rejected_not_connected.add();
    post_failure(std::move(failed), RedisErrc::not_connected);
    return false;
  }
  counters_->commands.add();
  counters_->in_flight.set(pending_.size());
  last_activity_ = now;
  arm_watchdog();
  return true;
}

bool RedisConnection::send_untracked(std::span<const std::string_view> args, RawCallback fn,
                                     void* privdata) {
  if (phase_ != Phase::ready) return false;
  if (issue_argv(ac_, fn, privdata, args) != REDIS_OK) return false;
  counters_->commands.add();
  return true;
}

void RedisConnection::on_reply_cb(redisAsyncContext*, void* reply, void* privdata) {
  static_cast<RedisConnection*>(privdata)->on_reply(static_cast<redisReply*>(reply));
}

void RedisConnection::on_reply(redisReply* r) {
  if (pending_.empty()) return;  // cannot happen: hiredis holds one callback per entry
  Callback done = std::move(pending_.front().done);
  pending_.pop_front();
  counters_->in_flight.set(pending_.size());
  if (pending_.empty()) last_activity_ = Clock::now();
  if (!r) {  // the context is being freed with this command pending
    counters_->failed_pending.add();
    // Commands issued by the callbacks below must fail fast, not reach the dying context.
    if (phase_ == Phase::ready || phase_ == Phase::login) phase_ = Phase::closing;
    const std::error_code ec = teardown_reason_ == RedisErrc::timeout ? RedisErrc::timeout
                               : teardown_reason_ == RedisErrc::shut_down
                                   ? RedisErrc::shut_down
                                   : RedisErrc::connection_lost;
    if (destroying_) {
      if (done) asio::post(executor_, [done = std::move(done), ec] { done(ec, RedisReply{}); });
    } else if (done) {
      done(ec, RedisReply{});
    }
    return;
  }
  RedisReply reply = RedisReply::from_hiredis(*r);
  std::error_code ec;
  if (reply.is_error()) {
    counters_->error_replies.add();
    ec = RedisErrc::error_reply;
  }
  if (done) done(ec, std::move(reply));
}

// --- Deadlines --------------------------------------------------------------------------

std::optional<RedisConnection::Clock::time_point> RedisConnection::next_deadline() const {
  switch (phase_) {
    case Phase::connecting:
      return connect_deadline_;
    case Phase::login:
      return pending_.empty() ? connect_deadline_ : pending_.front().deadline;
    case Phase::ready:
      if (!pending_.empty()) return pending_.front().deadline;
      if (options_.ping_interval.count() > 0) return last_activity_ + options_.ping_interval;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// One timer for every deadline. It is only moved earlier, never later: when the front
// command completes, the timer fires at the old deadline and re-arms for the new front, so
// a steady stream of commands costs no timer operations per command.
void RedisConnection::arm_watchdog() {
  const auto at = next_deadline();
  if (!at || (watchdog_armed_ && watchdog_at_ <= *at)) return;
  watchdog_armed_ = true;
  watchdog_at_ = *at;
  watchdog_.expires_at(*at);
  watchdog_.async_wait([this, guard = std::weak_ptr<char>(guard_)](
                           const boost::system::error_code& ec) {
    if (guard.expired()) return;                       // destroyed (see retry_timer_)
    if (ec == asio::error::operation_aborted) return;  // re-armed or cancelled
    watchdog_armed_ = false;
    on_watchdog();
  });
}

void RedisConnection::on_watchdog() {
  const auto now = Clock::now();
  const bool late = !pending_.empty() && pending_.front().deadline <= now;
  if (phase_ == Phase::ready && late) {
    counters_->timeouts.add();
    break_link(RedisErrc::timeout, "no reply from " + address_ + " within " +
                                       ms_text(options_.command_timeout) + " (" +
                                       std::to_string(pending_.size()) + " commands pending)");
    return;
  }
  if (phase_ == Phase::login && late) {
    break_link(RedisErrc::timeout, "no reply to the login from " + address_ + " within " +
                                       ms_text(options_.command_timeout));
    return;
  }
  if ((phase_ == Phase::connecting || (phase_ == Phase::login && pending_.empty())) &&
      now >= connect_deadline_) {
    break_link(RedisErrc::connect_failed, "cannot connect to " + address_ +
                                              ": not connected within " +
                                              ms_text(options_.connect_timeout));
    return;
  }
  if (phase_ == Phase::ready && pending_.empty() && options_.ping_interval.count() > 0 &&
      now >= last_activity_ + options_.ping_interval) {
    send({"PING"}, nullptr);  // a late PONG is a timeout like any other
  }
  arm_watchdog();
}

void RedisConnection::set_state(RedisState state) {
  if (state == state_) return;
  state_ = state;
  if (!on_state_) return;
  asio::post(executor_, [this, guard = std::weak_ptr<char>(guard_), state] {
    if (!guard.expired() && on_state_) on_state_(state);
  });
}

}  // namespace switchboard::engine::redis
