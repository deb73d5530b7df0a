// RedisRateLimiter: local token buckets, synchronised with shared buckets in Redis. See
// redis_rate_limiter.hpp.
#include "redis_rate_limiter.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

// The memory engine's key map, shards and sweeper: the local buckets are kept as its are.
#include "../memory/string_map.hpp"
#include "../memory/sweeper.hpp"
#include "bucket_sync.hpp"
#include "store_call.hpp"
#include "store_scripts.hpp"

namespace switchboard::engine::redis {
namespace {

struct LocalBucket {
  TokenBucket bucket;
  RateLimit limit;                   // the last limit applied: what "full" means when sweeping
  std::vector<SentTake> unanswered;  // in the order sent
};

struct Sync {
  std::string key;
  SentTake take;
};

// The shortest text that reads back as the same double (Lua's tonumber is strtod).
std::string number_text(double value) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

// The shared bucket after a charge: [covered, tokens as text, last refill ms].
struct SharedState {
  bool covered = false;  // the shared bucket had the tokens
  double tokens = 0;
  std::int64_t last_ms = 0;
};

bool parse_reply(const RedisReply& reply, SharedState& out) {
  if (reply.type != RedisReply::Type::array || reply.elements.size() != 3) return false;
  const RedisReply& covered = reply.elements[0];
  const RedisReply& tokens = reply.elements[1];
  const RedisReply& last = reply.elements[2];
  if (covered.type != RedisReply::Type::integer || tokens.type != RedisReply::Type::string ||
      last.type != RedisReply::Type::integer) {
    return false;
  }
  const char* end = tokens.str.data() + tokens.str.size();
  const auto [ptr, ec] = std::from_chars(tokens.str.data(), end, out.tokens);
  if (ec != std::errc{} || ptr != end) return false;
  out.covered = covered.integer != 0;
  out.last_ms = last.integer;
  return true;
}

}  // namespace

struct RedisRateLimiter::State {
  struct Shard {
    mutable std::mutex mu;
    memory_detail::StringMap<LocalBucket> buckets;
    memory_detail::Sweeper sweeper;
  };

  State(RedisContext* c, RedisRateLimiterOptions o) : context(c), options(o) {}

  RedisContext* context;  // outlives every call (store_call.hpp)
  const RedisRateLimiterOptions options;
  const RedisScript script{scripts::rate_take()};
  memory_detail::Sharded<Shard> shards;

  // Allowed takes waiting for the I/O thread, in the order taken (per key: appended under the
  // key's shard lock). One flush is posted for however many pile up meanwhile.
  std::mutex outbox_mu;
  std::vector<Sync> outbox;
  bool flush_posted = false;
  std::vector<Sync> sending;  // I/O thread: the batch being sent (its capacity is reused)

  std::atomic<std::uint64_t> next_seq{0};
  std::atomic<std::size_t> pending{0};
  std::atomic<std::uint64_t> synced{0}, local_only{0}, sync_failures{0}, over_admitted{0};

  // Under the key's shard lock: records the take as unanswered and queues it; true when the
  // caller must post a flush.
  bool queue_sync(std::string_view key, LocalBucket& local, const SentTake& take) {
    if (!context->ready(context->shard_for(key)) ||
        pending.load(std::memory_order_relaxed) >= options.max_pending_syncs) {
      local_only.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    local.unanswered.push_back(take);
    pending.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(outbox_mu);
    outbox.push_back({std::string(key), take});
    return !std::exchange(flush_posted, true);
  }

  // I/O thread: sends every queued take.
  void flush(const std::shared_ptr<State>& self) {
    {
      std::lock_guard lock(outbox_mu);
      sending.swap(outbox);
      flush_posted = false;
    }
    const std::string slack = std::to_string(context->options().gc_slack.count());
    const std::string max_ttl = std::to_string(options.max_key_ttl.count());
    for (Sync& sync : sending) {
      const SentTake& t = sync.take;
      // Key and shard first: the callback takes the name over.
      const std::string key = context->key("rl", sync.key);
      const std::size_t shard = context->shard_for(sync.key);
      context->run_script(
          shard, script, {key},
          {number_text(t.limit.rate_per_second), number_text(t.limit.burst), number_text(t.cost),
           std::to_string(t.at_ms), slack, max_ttl},
          [self, name = std::move(sync.key), seq = t.seq](std::error_code ec, RedisReply reply) {
            self->on_reply(name, seq, ec, reply);
          });
    }
    sending.clear();
  }

  // I/O thread: the shared bucket's answer to take `seq` of `key`.
  void on_reply(const std::string& key, std::uint64_t seq, std::error_code ec,
                const RedisReply& reply) {
    apply_reply(key, seq, ec, reply);
    // Last, and releasing: who sees the count drop sees the bucket updated (pending_syncs()).
    pending.fetch_sub(1, std::memory_order_release);
  }

  void apply_reply(const std::string& key, std::uint64_t seq, std::error_code ec,
                   const RedisReply& reply) {
    SharedState shared;
    const bool usable = !ec && parse_reply(reply, shared);
    if (!usable) {
      sync_failures.fetch_add(1, std::memory_order_relaxed);
      if (ec) {
        context->engine_error(ec, reply, "rate limiter sync");  // logs a refusal
      } else {
        store_detail::unexpected_reply("rate limiter sync", reply);
      }
    }
    Shard& shard = shards.for_key(key);
    std::lock_guard lock(shard.mu);
    const auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) return;  // not swept while unanswered: cannot happen
    LocalBucket& local = it->second;
    std::erase_if(local.unanswered, [seq](const SentTake& t) { return t.seq == seq; });
    if (!usable) return;  // the local bucket keeps its own count
    synced.fetch_add(1, std::memory_order_relaxed);
    if (!shared.covered) over_admitted.fetch_add(1, std::memory_order_relaxed);
    local.bucket = follow_shared(shared.tokens, shared.last_ms, local.unanswered);
  }

  // The context stopped before a flush could be posted: nothing queued will be sent.
  void drop_outbox() {
    std::vector<Sync> dropped;
    {
      std::lock_guard lock(outbox_mu);
      dropped.swap(outbox);
      flush_posted = false;
    }
    for (const Sync& sync : dropped) {
      pending.fetch_sub(1, std::memory_order_relaxed);
      local_only.fetch_add(1, std::memory_order_relaxed);
      Shard& shard = shards.for_key(sync.key);
      std::lock_guard lock(shard.mu);
      const auto it = shard.buckets.find(sync.key);
      if (it == shard.buckets.end()) continue;
      std::erase_if(it->second.unanswered,
                    [&](const SentTake& t) { return t.seq == sync.take.seq; });
    }
  }
};

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<RedisContext> context,
                                   RedisRateLimiterOptions options)
    : context_(std::move(context)), state_(std::make_shared<State>(context_.get(), options)) {
  context_->preload({state_->script});
}

RedisRateLimiter::~RedisRateLimiter() = default;

RateDecision RedisRateLimiter::take(std::string_view key, const RateLimit& limit, double cost) {
  State& s = *state_;
  const std::int64_t at_ms = context_->now_ms();
  const TimePoint at = logical_time(at_ms);
  RateDecision decision;
  bool post_flush = false;
  {
    State::Shard& shard = s.shards.for_key(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
      it = shard.buckets
               .emplace(std::string(key), LocalBucket{TokenBucket(limit.burst, at), limit, {}})
               .first;
    }
    LocalBucket& local = it->second;
    local.limit = limit;
    decision = local.bucket.take(limit, at, cost);
    if (decision.allowed) {
      const SentTake sent{s.next_seq.fetch_add(1, std::memory_order_relaxed), at_ms, cost, limit};
      post_flush = s.queue_sync(key, local, sent);
    }
    if (shard.sweeper.tick()) {
      shard.sweeper.sweep(shard.buckets, [at](const LocalBucket& b) {
        return b.unanswered.empty() && b.bucket.full(b.limit, at);
      });
    }
  }
  if (post_flush && !context_->post([state = state_] { state->flush(state); })) s.drop_outbox();
  return decision;
}

std::size_t RedisRateLimiter::pending_syncs() const noexcept {
  return state_->pending.load(std::memory_order_acquire);
}

std::size_t RedisRateLimiter::bucket_count() const {
  return state_->shards.total([](const State::Shard& s) { return s.buckets.size(); });
}

RedisRateLimiterStats RedisRateLimiter::stats() const noexcept {
  const State& s = *state_;
  RedisRateLimiterStats out;
  out.synced = s.synced.load(std::memory_order_relaxed);
  out.local_only = s.local_only.load(std::memory_order_relaxed);
  out.sync_failures = s.sync_failures.load(std::memory_order_relaxed);
  out.over_admitted = s.over_admitted.load(std::memory_order_relaxed);
  return out;
}

}  // namespace switchboard::engine::redis
