#pragma once
// RedisSubscriber: a Redis Pub/Sub connection — SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE /
// PUNSUBSCRIBE, messages, and resubscription after every reconnect.
//
// What callers see:
// - subscribe(channel, done): `done(ec)` runs once Redis confirmed the subscription (the
//   "subscribe" reply: from then on every PUBLISH to the channel is delivered), or with an
//   error. Subscriptions are a set: subscribing to a channel already confirmed completes at
//   once; a second call while the first awaits confirmation completes with it.
// - Not connected (connecting, down) → `not_connected` at once, and nothing is remembered:
//   fail fast, as for commands (the caller retries, or learns Redis is down).
// - unsubscribe(channel, done): completes on Redis's "unsubscribe" confirmation, or at once
//   when there is nothing to undo (not subscribed, or the connection is down — a lost
//   connection has no subscriptions). Messages still in flight for a channel no longer
//   wanted are dropped and counted (stats().dropped_unwanted).
// - on_message(channel, payload) / on_pmessage(pattern, channel, payload): every delivery, in
//   the order Redis sent them (one connection). The views are valid during the call only.
// - Reconnect: the connection reconnects by itself (RedisConnection's backoff). After each
//   login every wanted channel and pattern is subscribed again (SUBSCRIBE with up to 512
//   names per command) and on_resubscribed(name, is_pattern) reports each confirmation.
//   Redis does not replay: what was published while the connection was down is lost for this
//   subscriber (the engine recovers it from history).
// - A subscribe awaiting confirmation when the connection is lost completes with
//   `connection_lost` (or `timeout`) and is forgotten; subscriptions confirmed before are
//   kept and resubscribed.
// - Deadlines: each (un)subscription must be confirmed within command_timeout (confirmations
//   come in request order: a FIFO of deadlines, one timer); a late one resets the connection
//   (stats().confirmation_timeouts), as a late reply does on a RedisConnection.
//
// hiredis 0.14 specifics: in subscribed mode hiredis routes every confirmation and message of
// a name to the callback registered with its SUBSCRIBE (one static callback here, with `this`
// as privdata), and an UNSUBSCRIBE is refused unless hiredis knows the name; this class only
// unsubscribes names it subscribed on the current connection. PING cannot be used on a
// subscribed 0.14 connection (its reply never reaches the callback), so the connection's idle
// PING is off. Instead, a probe: every `options.ping_interval` (0: none) in which no message
// arrived and no confirmation is awaited, a SUBSCRIBE and then an UNSUBSCRIBE of a name of its own that nobody publishes to
// ("__switchboard_probe:<random>"), confirmed within command_timeout as any other, so that a
// server that stalls silently resets the link within ping_interval + command_timeout
// (stats().confirmation_timeouts; counters probes). The probe is not a caller's subscription:
// it is never resubscribed nor reported.
//
// Thread safety: as RedisConnection — everything on the executor, callbacks there too, no
// destruction inside a callback; stats() and the counters on any thread. Destroying it completes waiting calls with `shut_down`.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redis_connection.hpp"

namespace switchboard::engine::redis {

// A snapshot of a subscriber's counters (redis_counters.hpp says what each counts).
struct SubscriberStats {
  std::uint64_t messages = 0;
  std::uint64_t dropped_unwanted = 0;
  std::uint64_t rejected_not_connected = 0;
  std::uint64_t confirmation_timeouts = 0;
  std::uint64_t resubscribed = 0;
  std::uint64_t probes = 0;
};

class RedisSubscriber : private RedisConnection::LinkObserver {
 public:
  using Done = std::function<void(std::error_code)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using PatternHandler = std::function<void(std::string_view pattern, std::string_view channel,
                                            std::string_view payload)>;
  using ResubscribedHandler = std::function<void(std::string_view name, bool is_pattern)>;

  // `options.ping_interval` is the probe's interval (see above). `counters`: where the subscriber and its
  // connection count (readable from any thread); null for a block of its own.
  RedisSubscriber(boost::asio::any_io_executor executor, RedisOptions options,
                  std::shared_ptr<SubscriberCounters> counters = nullptr);
  ~RedisSubscriber() override;
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void start() { conn_.start(); }

  void subscribe(std::string_view channel, Done done) {
    request(channels_, channel, true, std::move(done));
  }
  void unsubscribe(std::string_view channel, Done done) {
    request(channels_, channel, false, std::move(done));
  }
  void psubscribe(std::string_view pattern, Done done) {
    request(patterns_, pattern, true, std::move(done));
  }
  void punsubscribe(std::string_view pattern, Done done) {
    request(patterns_, pattern, false, std::move(done));
  }

  void on_message(MessageHandler handler) { on_message_ = std::move(handler); }
  void on_pmessage(PatternHandler handler) { on_pmessage_ = std::move(handler); }
  void on_resubscribed(ResubscribedHandler handler) { on_resubscribed_ = std::move(handler); }
  void on_state_change(std::function<void(RedisState)> handler) {
    conn_.on_state_change(std::move(handler));
  }

  // Confirmed by Redis on the current connection (and still wanted).
  bool subscribed(std::string_view name, bool is_pattern = false) const;
  // State, last error, writes: the underlying connection (read-only: no commands on it).
  const RedisConnection& connection() const noexcept { return conn_; }
  SubscriberStats stats() const noexcept;  // any thread

 private:
  using Clock = std::chrono::steady_clock;
  struct Op {  // one (UN)SUBSCRIBE of one name, sent, awaiting its confirmation
    bool subscribe = true;
    bool resubscribe = false;  // sent by link_up(), not by a caller
    std::vector<Done> waiters;
  };
  struct Subscription {
    bool wanted = false;        // the caller wants deliveries
    bool acknowledged = false;  // a caller's subscribe succeeded: resubscribe after a loss
    bool on_link = false;       // the last op sent on this connection was a SUBSCRIBE
    bool confirmed = false;     // Redis confirmed it on this connection
    // In the order sent, which is the order of confirmations; rarely more than one, and a
    // vector holds nothing while empty (a deque allocates ~600 bytes even then: one per
    // subscribed channel, thousands of user rooms).
    std::vector<Op> ops;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Kind {
    const char* subscribe_verb;
    const char* unsubscribe_verb;
    bool is_pattern;
    std::unordered_map<std::string, Subscription, Hash, std::equal_to<>> names;
  };
  using Completion = std::pair<Done, std::error_code>;

  void request(Kind& kind, std::string_view name, bool subscribe, Done done);
  bool send_op(Kind& kind, const std::string& name, Subscription& sub, bool subscribe, Done done);
  void on_push(redisReply* reply);
  void on_confirmation(Kind& kind, std::string_view name, bool subscribe);
  void on_delivery(Kind& kind, std::string_view name, std::string_view channel,
                   std::string_view payload);
  void forget_if_unused(Kind& kind, std::string_view name);
  void add_deadlines(std::size_t count);
  void arm_probe();
  void on_probe_confirmation(bool subscribed);
  void arm_timer();
  void on_timer();
  void post_completions(std::vector<Completion> completions);

  void link_up() override;
  void link_down(std::error_code reason) override;

  static void on_push_cb(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::any_io_executor executor_;
  Kind channels_{"SUBSCRIBE", "UNSUBSCRIBE", false, {}};
  Kind patterns_{"PSUBSCRIBE", "PUNSUBSCRIBE", true, {}};
  std::deque<Clock::time_point> deadlines_;  // one per confirmation expected, in order
  boost::asio::steady_timer timer_;
  // Checked by the timer's handler: one that already expired runs even after destruction.
  std::shared_ptr<char> guard_ = std::make_shared<char>();
  bool timer_armed_ = false;
  boost::asio::steady_timer probe_timer_;
  std::chrono::milliseconds probe_interval_;
  std::string probe_name_;
  bool probing_ = false;  // a probe's SUBSCRIBE or UNSUBSCRIBE awaits its confirmation
  std::uint64_t messages_at_probe_ = 0;  // counters_->messages at the last probe tick
  std::shared_ptr<SubscriberCounters> counters_;  // before conn_, which counts into it
  MessageHandler on_message_;
  PatternHandler on_pmessage_;
  ResubscribedHandler on_resubscribed_;
  RedisConnection conn_;  // last: destroyed first, while the state its callbacks use exists
};

}  // namespace switchboard::engine::redis
