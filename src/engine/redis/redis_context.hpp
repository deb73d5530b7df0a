#pragma once
// RedisContext: what every store of the Redis engine shares — one I/O thread, one command
// connection per shard (Redis server of redis_url), key names under the prefix, the logical
// clock scripts compare expiries with, and the health of the shards.
//
// Threading. Engine interfaces are called from any worker thread; RedisConnection is
// single-threaded. So each engine call is post()ed to the context's one I/O thread, issues its
// commands there (every command of one loop turn leaves in one write per shard: pipelining),
// and completes there: callbacks of the Redis engine run on the I/O thread, never on the
// caller's. One thread and one connection per shard also give the contract's per-caller
// order: calls posted by one thread run in that order, and one connection answers in order.
//
// Readiness. A shard is ready once its connection is logged in *and* has answered INFO server
// (its run_id: a Redis restart, or a failover to another server, changes it, and the history
// scripts start a new epoch when the run_id they stored differs — a restored snapshot may be
// older than what clients saw). Calls to a shard that is not ready fail at once with
// `unavailable`: nothing is queued while Redis is away.
//
// Time. Expiries are decided by the injected NowFn, as on the memory engine: now_ms() is the
// wall-clock millisecond at construction plus the NowFn's progress since, so a ManualClock
// moves it in tests, and nodes on different hosts agree within their clock skew. Redis's own
// key TTLs are only garbage collection: logical expiry + gc_slack.
//
// Stop: stop() (or the destructor) refuses new work, runs the on_stop() hooks, waits up to
// kStopFlush for the commands then pending (the hooks' last ones) to be answered, closes the
// connections (what is still pending completes with shut_down, i.e. `unavailable`) and joins
// the thread. A post() after stop returns false: the caller completes its call itself.
// Connections other than the shards' command connections (the broker's subscribers) live on
// the same executor and must be closed by an on_stop() hook: the thread only ends once nothing
// waits on it any more.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "redis_connection.hpp"
#include "redis_endpoint.hpp"
#include "redis_script.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/engine.hpp"

namespace switchboard::engine::redis {

struct RedisEngineOptions {
  std::vector<RedisEndpoint> shards;  // at least one; every node lists the same, in order
  std::string prefix = "switchboard:";
  std::chrono::milliseconds command_timeout{4000};
  std::chrono::milliseconds connect_timeout{1000};
  std::size_t max_in_flight = 100000;  // per shard connection
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  // Added to every key's Redis TTL beyond the logical expiry it stands for, so that Redis
  // never removes what the logical clock still calls live (clock skew, a ManualClock).
  std::chrono::milliseconds gc_slack{std::chrono::minutes(1)};
};

class RedisContext {
 public:
  // Starts the I/O thread; connects at start(). Stores share the context through make():
  // their completions hold it, so the last owner may let go on the I/O thread itself, where
  // the destructor could not join that thread; make()'s deleter then destroys it elsewhere.
  static std::shared_ptr<RedisContext> make(RedisEngineOptions options, NowFn now);
  RedisContext(RedisEngineOptions options, NowFn now);
  ~RedisContext();
  RedisContext(const RedisContext&) = delete;
  RedisContext& operator=(const RedisContext&) = delete;

  void start();  // once
  void stop();   // idempotent
  const RedisEngineOptions& options() const noexcept { return options_; }
  std::size_t shards() const noexcept { return options_.shards.size(); }
  // The shard holding `name`'s keys (a channel, a user, a limiter key, a node id).
  std::size_t shard_for(std::string_view name) const noexcept;
  // Options for another connection to `shard` (the broker's subscribers).
  RedisOptions connection_options(std::size_t shard) const;
  boost::asio::any_io_executor executor() noexcept { return io_.get_executor(); }
  bool on_io_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

  // Runs `fn` on the I/O thread; false after stop(): then `fn` is neither run nor moved from,
  // so the caller can still complete the call it carries (with `unavailable`).
  template <class Fn>
  bool post(Fn&& fn) {
    std::lock_guard lock(accepting_mutex_);
    if (!accepting_) return false;
    boost::asio::post(io_, std::forward<Fn>(fn));
    return true;
  }

  // --- I/O thread only --------------------------------------------------------------------
  RedisConnection& connection(std::size_t shard) { return *shards_[shard]->connection; }
  // `hook` runs on the I/O thread when stop() begins, before the command connections close:
  // the owner of other I/O objects on this executor closes them there.
  void on_stop(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }
  // Runs `fn` on the I/O thread once `shard` is ready: at once (posted) when it is, else when
  // it becomes ready (dropped at stop()). The broker reports a restored subscription only
  // then, so that the recovery reads it causes find the shard ready.
  void when_ready(std::size_t shard, std::function<void()> fn);
  // The run_id INFO reported on the current connection (empty while not ready).
  const std::string& run_id(std::size_t shard) const { return shards_[shard]->run_id; }
  // Sends a command to `shard`; `done` runs on the I/O thread. When the shard is not ready
  // it completes (posted) with RedisErrc::not_connected and nothing is sent.
  void command(std::size_t shard, std::span<const std::string_view> args,
               RedisConnection::Callback done);
  void command(std::size_t shard, std::initializer_list<std::string_view> args,
               RedisConnection::Callback done) {
    command(shard, std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
  }
  // Runs `script` (EVALSHA, see redis_script.hpp) on `shard`, as command() does.
  void run_script(std::size_t shard, const RedisScript& script,
                  std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  RedisConnection::Callback done);
  void run_script(std::size_t shard, const RedisScript& script,
                  std::initializer_list<std::string_view> keys,
                  std::initializer_list<std::string_view> args, RedisConnection::Callback done) {
    run_script(shard, script, std::span<const std::string_view>(keys.begin(), keys.size()),
               std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
  }

  // --- Any thread -------------------------------------------------------------------------
  // Scripts every shard loads (SCRIPT LOAD, pipelined before INFO) on each (re)connect, before
  // it is ready, and at once on the shards connected now; the load runs before any call
  // posted after preload(). So calls meet NOSCRIPT only if Redis forgets its scripts while
  // connected (SCRIPT FLUSH): NOSCRIPT makes RedisScript retry a call behind later ones,
  // breaking per-caller order. Stores preload their scripts at construction.
  void preload(std::vector<RedisScript> scripts);
  bool ready(std::size_t shard) const noexcept { return shards_[shard]->ready.load(); }
  // After start(): waits (at most `timeout`) until every shard is ready or its first attempt
  // failed; true when all are ready. For start-up decisions that are better taken with Redis
  // known (the broker's node id check), never on a worker thread.
  bool wait_ready(std::chrono::milliseconds timeout) const;
  // The shard's server ("127.0.0.1:6379") and its command connection's counters (they outlive
  // the connection, which stop() destroys).
  const std::string& address(std::size_t shard) const noexcept { return shards_[shard]->address; }
  const RedisConnectionCounters& counters(std::size_t shard) const noexcept {
    return *shards_[shard]->counters;
  }
  // The EngineErrc an engine caller gets for a client-layer failure; error replies (a bug or
  // Redis out of memory) are logged with Redis's text.
  std::error_code engine_error(std::error_code ec, const RedisReply& reply,
                               std::string_view what) const;
  // prefix + tag + ":" + name ("switchboard:hs:conv:42"): the tag first, so names containing
  // ':' never collide across kinds.
  std::string key(std::string_view tag, std::string_view name) const;
  // The logical wall-clock time in milliseconds (see "Time" above), as a number and as text.
  std::int64_t now_ms() const;
  std::string now_ms_text() const { return std::to_string(now_ms()); }
  // A Redis TTL (ms, as text) for something logically live for `ttl`: ttl + gc_slack.
  std::string gc_ttl_text(std::chrono::milliseconds ttl) const;
  // One entry per shard ("redis 127.0.0.1:6379"), down with the reason when not ready.
  std::vector<BackendHealth> health() const;

 private:
  // How long stop() lets the commands pending at stop (the hooks' last ones) be answered.
  static constexpr std::chrono::milliseconds kStopFlush{500};
  // On the I/O thread: closes the connections once nothing is pending, or at `deadline`.
  void close_when_flushed(std::chrono::steady_clock::time_point deadline);

  struct Shard {
    std::unique_ptr<RedisConnection> connection;
    std::string run_id;              // I/O thread
    std::vector<std::function<void()>> when_ready;  // I/O thread
    std::atomic<bool> ready{false};  // written on the I/O thread, read anywhere
    std::atomic<bool> attempt_failed{false};  // a connection attempt failed since start
    std::string address;             // host:port, for health and metrics
    std::shared_ptr<RedisConnectionCounters> counters =
        std::make_shared<RedisConnectionCounters>();
    mutable std::mutex status_mutex;
    std::string status;  // why not ready ("Connection refused"), for health
  };
  void on_connected(std::size_t shard);
  // Completes `done` (posted) with not_connected when `shard` is not ready; false then.
  bool accepts(Shard& shard, RedisConnection::Callback& done);
  void on_state(std::size_t shard, RedisState state);
  void set_status(Shard& shard, std::string status);

  RedisEngineOptions options_;
  NowFn now_;
  TimePoint steady_anchor_;
  std::int64_t wall_anchor_ms_ = 0;
  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::function<void()>> stop_hooks_;  // I/O thread
  std::vector<RedisScript> scripts_;  // preloaded on every connect (I/O thread)
  std::mutex accepting_mutex_;
  bool accepting_ = true;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace switchboard::engine::redis
