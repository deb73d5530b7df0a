// The Redis engine's shared I/O thread, shard connections and readiness. See redis_context.hpp.
#include "redis_context.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <random>

#include "redis_error.hpp"
#include "switchboard/engine/batched_thread.hpp"
#include "shard_hash.hpp"
#include "switchboard/engine/error.hpp"

namespace switchboard::engine::redis {
namespace {

// "run_id:<40 hex>" from INFO server's text; empty when absent.
std::string parse_run_id(std::string_view info) {
  constexpr std::string_view kField = "run_id:";
  const auto at = info.find(kField);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kField.size();
  const auto end = info.find_first_of("\r\n", begin);
  return std::string(info.substr(begin, end == std::string_view::npos ? end : end - begin));
}

}  // namespace

RedisContext::RedisContext(RedisEngineOptions options, NowFn now)
    : options_(std::move(options)), now_(std::move(now)) {
  if (options_.shards.empty()) throw std::invalid_argument("the Redis engine needs a server");
  steady_anchor_ = now_();
  wall_anchor_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  for (std::size_t i = 0; i < options_.shards.size(); ++i) {
    auto shard = std::make_unique<Shard>();
    shard->address = options_.shards[i].address();
    shard->status = "not started";
    shard->connection =
        std::make_unique<RedisConnection>(io_.get_executor(), connection_options(i), shard->counters);
    shard->connection->on_connected([this, i] { on_connected(i); });
    shard->connection->on_state_change([this, i](RedisState state) { on_state(i, state); });
    shards_.push_back(std::move(shard));
  }
  work_ = std::make_unique<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(io_.get_executor());
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sb-redis-io");  // for top -H, perf, chrt
    run_this_thread_batched("redis: the I/O thread");  // batched_thread.hpp
    io_.run();
  });
}

std::shared_ptr<RedisContext> RedisContext::make(RedisEngineOptions options, NowFn now) {
  return std::shared_ptr<RedisContext>(
      new RedisContext(std::move(options), std::move(now)), [](RedisContext* context) {
        if (!context->on_io_thread()) return delete context;
        // Released by a completion on the I/O thread: that thread must finish the handler it
        // is in before it can be joined, so another thread waits for it and deletes.
        std::thread([context] { delete context; }).detach();
      });
}

RedisContext::~RedisContext() { stop(); }

void RedisContext::start() {
  post([this] {
    for (auto& shard : shards_) shard->connection->start();
  });
}

void RedisContext::stop() {
  {
    std::lock_guard lock(accepting_mutex_);
    if (!accepting_) return;
    accepting_ = false;
    // Work posted before runs first. The hooks may send last commands (the node lease's
    // release, so that a node stopped in an orderly way can take its id again at once): the
    // connections stay until those are answered, for at most kStopFlush; whatever is pending
    // then fails with shut_down (posted).
    boost::asio::post(io_, [this] {
      auto hooks = std::move(stop_hooks_);
      for (auto& hook : hooks) hook();
      close_when_flushed(std::chrono::steady_clock::now() + kStopFlush);
    });
  }
  if (thread_.joinable()) thread_.join();
}

void RedisContext::close_when_flushed(std::chrono::steady_clock::time_point deadline) {
  bool pending = false;
  for (const auto& shard : shards_) {
    pending = pending || (shard->ready && shard->connection->stats().in_flight > 0);
  }
  if (pending && std::chrono::steady_clock::now() < deadline) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(2));
    timer->async_wait([this, timer, deadline](boost::system::error_code) {
      close_when_flushed(deadline);
    });
    return;
  }
  for (auto& shard : shards_) {
    shard->ready = false;
    shard->connection.reset();
  }
  work_.reset();
}

std::size_t RedisContext::shard_for(std::string_view name) const noexcept {
  return shard_of(name, shards_.size());
}

RedisOptions RedisContext::connection_options(std::size_t shard) const {
  RedisOptions o;
  o.endpoint = options_.shards[shard];
  o.max_in_flight = options_.max_in_flight;
  o.command_timeout = options_.command_timeout;
  o.connect_timeout = options_.connect_timeout;
  o.reconnect_min = options_.reconnect_min;
  o.reconnect_max = options_.reconnect_max;
  return o;
}

bool RedisContext::accepts(Shard& shard, RedisConnection::Callback& done) {
  if (shard.connection && shard.ready) return true;
  boost::asio::post(io_, [done = std::move(done)] {
    if (done) done(RedisErrc::not_connected, RedisReply{});
  });
  return false;
}

void RedisContext::command(std::size_t shard, std::span<const std::string_view> args,
                           RedisConnection::Callback done) {
  Shard& s = *shards_[shard];
  if (accepts(s, done)) s.connection->command(args, std::move(done));
}

void RedisContext::run_script(std::size_t shard, const RedisScript& script,
                              std::span<const std::string_view> keys,
                              std::span<const std::string_view> args,
                              RedisConnection::Callback done) {
  Shard& s = *shards_[shard];
  if (accepts(s, done)) script.run(*s.connection, keys, args, std::move(done));
}

void RedisContext::preload(std::vector<RedisScript> scripts) {
  auto load = [this, scripts = std::move(scripts)] {
    for (const RedisScript& script : scripts) {
      const bool known = std::any_of(scripts_.begin(), scripts_.end(), [&](const RedisScript& s) {
        return s.sha1() == script.sha1();
      });
      if (known) continue;
      scripts_.push_back(script);
      // A shard still connecting loads it in on_connected().
      for (auto& shard : shards_) {
        if (shard->connection && shard->connection->state() == RedisState::connected) {
          script.load(*shard->connection, nullptr);
        }
      }
    }
  };
  // At once when called on the I/O thread (a component made there runs its first script
  // right after): posted, the load would follow that EVALSHA, which would meet NOSCRIPT.
  if (io_.get_executor().running_in_this_thread()) return load();
  post(std::move(load));
}

void RedisContext::on_connected(std::size_t index) {
  Shard& shard = *shards_[index];
  if (!shard.connection) return;
  // Scripts first: a call sent once the shard is ready then finds them (see preload()).
  for (const RedisScript& script : scripts_) script.load(*shard.connection, nullptr);
  // Ready only once the run_id is known: the history scripts compare it with the one their
  // stream was written under.
  shard.connection->command({"INFO", "server"}, [this, index](std::error_code ec, RedisReply reply) {
    Shard& s = *shards_[index];
    if (!s.connection || s.connection->state() != RedisState::connected) return;
    if (ec) {
      set_status(s, "INFO server failed: " + ec.message());
      return;  // the connection resets on a timeout, and on_connected comes again
    }
    s.run_id = parse_run_id(reply.str);
    if (s.run_id.empty()) s.run_id = "unknown";
    s.ready = true;
    set_status(s, {});  // after: a reader that sees "not ready" always finds a reason
    spdlog::info("redis: {} ready (run_id {})", s.address, s.run_id.substr(0, 8));
    auto waiting = std::move(s.when_ready);
    s.when_ready.clear();
    for (auto& fn : waiting) fn();
  });
}

bool RedisContext::wait_ready(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool all_ready = true;
    bool settled = true;
    for (const auto& shard : shards_) {
      all_ready = all_ready && shard->ready;
      settled = settled && (shard->ready || shard->attempt_failed);
    }
    if (settled || std::chrono::steady_clock::now() >= deadline) return all_ready;
    // Start-up only (a connect on loopback takes well under a millisecond).
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void RedisContext::when_ready(std::size_t index, std::function<void()> fn) {
  Shard& shard = *shards_[index];
  if (shard.ready) {
    boost::asio::post(io_, std::move(fn));
  } else {
    shard.when_ready.push_back(std::move(fn));
  }
}

void RedisContext::on_state(std::size_t index, RedisState state) {
  Shard& shard = *shards_[index];
  if (state == RedisState::connected || !shard.connection) return;
  std::string why = shard.connection->last_error_message();
  if (why.empty()) why = to_string(state);
  // The reason first: health() reads the status once it sees the shard not ready.
  set_status(shard, why);
  if (state == RedisState::down) shard.attempt_failed = true;
  const bool was_ready = shard.ready.exchange(false);
  shard.run_id.clear();
  if (was_ready) spdlog::warn("redis: {} lost: {}", shard.address, why);
}

void RedisContext::set_status(Shard& shard, std::string status) {
  std::lock_guard lock(shard.status_mutex);
  shard.status = std::move(status);
}

std::error_code RedisContext::engine_error(std::error_code ec, const RedisReply& reply,
                                           std::string_view what) const {
  if (ec == RedisErrc::error_reply) {
    spdlog::error("redis: {} refused: {}", what, reply.str);
  }
  return to_engine_error(ec);
}

std::string RedisContext::key(std::string_view tag, std::string_view name) const {
  std::string k;
  k.reserve(options_.prefix.size() + tag.size() + 1 + name.size());
  k.append(options_.prefix).append(tag).push_back(':');
  k.append(name);
  return k;
}

std::int64_t RedisContext::now_ms() const {
  return wall_anchor_ms_ +
         std::chrono::duration_cast<std::chrono::milliseconds>(now_() - steady_anchor_).count();
}

std::string RedisContext::gc_ttl_text(std::chrono::milliseconds ttl) const {
  return std::to_string(std::max<std::int64_t>(1, (ttl + options_.gc_slack).count()));
}


std::vector<BackendHealth> RedisContext::health() const {
  std::vector<BackendHealth> out;
  for (const auto& shard : shards_) {
    BackendHealth h;
    h.name = "redis " + shard->address;
    h.up = shard->ready.load();
    if (!h.up) {
      std::lock_guard lock(shard->status_mutex);
      h.detail = shard->status;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace switchboard::engine::redis
