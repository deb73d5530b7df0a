#pragma once
// RedisConnection: one connection to one Redis server, with asynchronous, pipelined commands.
//
// What callers see:
// - command({"SET", key, value}, done): arguments are binary safe (sent with their lengths,
//   NULs included). `done(ec, reply)` runs exactly once, on the connection's executor, never
//   inside command(). `ec` is empty on success; RedisErrc::error_reply when Redis answered
//   with an error (the text is in reply.str); otherwise a failure (below) and an empty reply.
// - (P)(UN)SUBSCRIBE and MONITOR change how hiredis routes replies; they fail at once with
//   unsupported_command (Pub/Sub is RedisSubscriber's). Nothing else is inspected.
// - Pipelining: commands are appended to one output buffer; every command issued in one loop
//   turn goes out in one write() (stats().writes counts them). Replies come back in command
//   order, so completions of one connection run in the order the commands were issued.
// - Fail fast, nothing sent (the command had no effect):
//     not_connected       the connection is connecting or down (Redis down at start, lost,
//                         still logging in): no queueing while disconnected;
//     too_many_in_flight  `max_in_flight` commands await replies (stats().rejected_in_flight).
// - Sent, outcome unknown:
//     timeout             no reply within `command_timeout`;
//     connection_lost     the connection failed while the command awaited its reply.
//   A timeout resets the connection: in a pipeline a late reply could no longer be matched to
//   its command, so every command pending on it fails with `timeout`, and the connection
//   reconnects (stats().timeouts counts the resets).
// - Health: state() is connecting / connected / down; last_error() and last_error_message()
//   say why the last attempt or connection failed ("WRONGPASS ...", "Connection refused").
//   on_state_change() reports every change; on_connected() runs after every (re)connect, when
//   the connection is logged in (AUTH, SELECT done) and accepts commands — the place to
//   reload scripts or resubscribe.
// - Reconnect: automatic, forever, with jittered exponential backoff (reconnect_min ..
//   reconnect_max, reset by a successful login). Each attempt resolves the host name anew.
// - Idle health check: with nothing pending for `ping_interval`, a PING is sent, so a server
//   that stopped answering is found within ping_interval + command_timeout even when idle.
//
// hiredis 0.14.1 (Debian 12's libhiredis-dev) and what this class does about its limits:
// - No timers at all (redisAsyncSetTimeout, the scheduleTimer hook and connect timeouts came
//   in 1.0.0): connect and command deadlines are ours — a FIFO of pending commands (replies
//   arrive in order, so the front holds the earliest deadline) and one steady_timer.
// - No way to cancel one command of a pipeline: hence "a timeout resets the connection".
// - redisAsyncConnect resolves with a blocking getaddrinfo(): we resolve with Asio's
//   asynchronous resolver first and hand hiredis a numeric address.
// - No TLS (hiredis_ssl is 1.0+), no RESP3: rediss:// is refused by the URL parser.
// - Freeing a context inside the connect callback is unsafe in 0.14 (that callback does not
//   defer frees), so the login commands are queued on the next loop turn, not inside it.
// - A PING on a subscribed connection never completes in 0.14 (its reply is looked up as a
//   channel and dropped): RedisSubscriber therefore runs its connection with ping_interval 0.
//
// Thread safety: none inside, but for stats() and counters() (redis_counters.hpp), which any
// thread may read. Construct, call, and destroy the connection on its executor (the one thread
// running the io_context, or a strand); every callback runs there. Other threads
// post to that executor. Do not destroy the connection inside one of its own callbacks (post
// the destruction). Destroying it completes pending commands with `shut_down` (posted).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "switchboard/engine/backoff.hpp"
#include "redis_counters.hpp"
#include "redis_endpoint.hpp"
#include "redis_error.hpp"
#include "redis_reply.hpp"

struct redisAsyncContext;  // hiredis
struct redisReply;

namespace switchboard::engine::redis {

class AsioAdapter;

enum class RedisState : std::uint8_t {
  down,        // not started, or the last attempt failed: waiting to retry (see last_error())
  connecting,  // resolving, connecting, or logging in (AUTH, SELECT, PING)
  connected,   // logged in: commands are accepted
};
const char* to_string(RedisState state) noexcept;

struct RedisOptions {
  RedisEndpoint endpoint;
  std::size_t max_in_flight = 100000;               // commands awaiting replies; more fail at once
  std::chrono::milliseconds command_timeout{4000};  // sent → reply, per command
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect (resolution not included)
  std::chrono::milliseconds ping_interval{1000};    // idle health check; 0: none
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
};

// A snapshot of a connection's counters (redis_counters.hpp says what each counts).
struct RedisStats {
  std::uint64_t commands = 0;
  std::uint64_t writes = 0;
  std::uint64_t rejected_not_connected = 0;
  std::uint64_t rejected_in_flight = 0;
  std::uint64_t error_replies = 0;
  std::uint64_t failed_pending = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t connects = 0;
  std::size_t in_flight = 0;
};
RedisStats snapshot(const RedisConnectionCounters& counters) noexcept;

class RedisConnection {
 public:
  using Callback = std::function<void(std::error_code, RedisReply)>;

  // `counters`: where the connection counts (its owner keeps them readable from any thread);
  // null for a block of its own.
  RedisConnection(boost::asio::any_io_executor executor, RedisOptions options,
                  std::shared_ptr<RedisConnectionCounters> counters = nullptr);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts connecting (asynchronously) and keeps the connection up from then on. Once.
  void start();

  void command(std::initializer_list<std::string_view> args, Callback done) {
    command(std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
  }
  void command(std::span<const std::string_view> args, Callback done);

  RedisState state() const noexcept { return state_; }
  // The last failure (kept after recovery, for logs); empty if there was none.
  std::error_code last_error() const noexcept { return last_error_; }
  const std::string& last_error_message() const noexcept { return last_error_message_; }
  // Any thread.
  RedisStats stats() const noexcept { return snapshot(*counters_); }
  const std::shared_ptr<RedisConnectionCounters>& counters() const noexcept { return counters_; }
  const RedisOptions& options() const noexcept { return options_; }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

  // Handlers run posted on the executor, in the order of the events.
  void on_state_change(std::function<void(RedisState)> handler) { on_state_ = std::move(handler); }
  void on_connected(std::function<void()> handler) { on_connected_ = std::move(handler); }

 private:
  friend class RedisSubscriber;
  using Clock = std::chrono::steady_clock;
  using RawCallback = void (*)(redisAsyncContext*, void*, void*);

  // For RedisSubscriber: synchronous notifications of the link's life.
  class LinkObserver {
   public:
    virtual ~LinkObserver() = default;
    virtual void link_up() = 0;  // logged in; inside a hiredis callback, may send
    virtual void link_down(std::error_code reason) = 0;  // inside hiredis's free: no sending
  };
  void set_observer(LinkObserver* observer) noexcept { observer_ = observer; }
  // Sends a command whose replies hiredis routes itself ((P)(UN)SUBSCRIBE: by channel), outside
  // our FIFO. False when not connected.
  bool send_untracked(std::span<const std::string_view> args, RawCallback fn, void* privdata);
  // Declares the link broken: frees the hiredis context (every pending command completes) and
  // reconnects. Safe inside hiredis reply callbacks (hiredis defers the free).
  void break_link(std::error_code reason, std::string message);

  enum class Phase : std::uint8_t { idle, resolving, connecting, login, ready, closing, waiting };
  struct Pending {
    Callback done;
    Clock::time_point deadline;
  };
  enum class LoginStep : std::uint8_t { auth, select, ping };

  void begin_attempt();
  void connect_to(const std::string& address);
  void send_login();
  void on_login_reply(LoginStep step, const std::error_code& ec, const RedisReply& reply);
  void link_ready();
  void on_link_gone();
  void fail_attempt(std::error_code reason, std::string message);
  bool send(std::span<const std::string_view> args, Callback done);
  bool send(std::initializer_list<std::string_view> args, Callback done) {
    return send(std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
  }
  void on_reply(redisReply* reply);
  std::optional<Clock::time_point> next_deadline() const;
  void arm_watchdog();
  void on_watchdog();
  void set_state(RedisState state);
  void post_failure(Callback done, RedisErrc error);

  static void on_connect_cb(const redisAsyncContext* ac, int status);
  static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::any_io_executor executor_;
  RedisOptions options_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer watchdog_;  // connect and command deadlines, idle PING
  boost::asio::steady_timer retry_timer_;
  Backoff backoff_;
  std::shared_ptr<char> guard_ = std::make_shared<char>();  // posted work checks it is alive

  redisAsyncContext* ac_ = nullptr;  // the current hiredis context, null between links
  std::shared_ptr<AsioAdapter> adapter_;
  std::uint64_t link_id_ = 0;  // which context posted work belongs to
  std::string address_;        // numeric address of the current attempt, for messages
  Phase phase_ = Phase::idle;
  RedisState state_ = RedisState::down;
  std::deque<Pending> pending_;      // sent, awaiting replies, in order (hiredis's order)
  std::error_code teardown_reason_;  // set by break_link() until the context is gone
  std::string teardown_message_;
  bool destroying_ = false;

  Clock::time_point connect_deadline_{};
  Clock::time_point last_activity_{};  // last command sent or last reply completing the FIFO
  Clock::time_point watchdog_at_{};
  bool watchdog_armed_ = false;

  std::error_code last_error_;
  std::string last_error_message_;
  std::shared_ptr<RedisConnectionCounters> counters_;
  LinkObserver* observer_ = nullptr;
  std::function<void(RedisState)> on_state_;
  std::function<void()> on_connected_;
};

}  // namespace switchboard::engine::redis
