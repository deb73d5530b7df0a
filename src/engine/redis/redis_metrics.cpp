// The Redis engine's counters as metric families. See redis_metrics.hpp.
#include "redis_metrics.hpp"

#include <cstdint>
#include <string_view>

#include "redis_broker.hpp"
#include "redis_context.hpp"
#include "redis_history.hpp"
#include "redis_offline_store.hpp"
#include "redis_presence.hpp"
#include "redis_rate_limiter.hpp"

namespace switchboard::engine::redis {
namespace {

using Type = MetricsSink::Type;

// A family with one sample per connection: the shard's command connection and its Pub/Sub
// connection (`pubsub`: 0 when it has no meaning there).
template <class Command, class PubSub>
void per_connection(MetricsSink& sink, const RedisEngineParts& parts, std::string_view name,
                    Type type, std::string_view help, Command command, PubSub pubsub) {
  sink.family(name, type, help);
  const RedisContext& context = *parts.context;
  for (std::size_t i = 0; i < context.shards(); ++i) {
    const std::string_view shard = context.address(i);
    sink.sample(name, command(context.counters(i)), {{"shard", shard}, {"connection", "command"}});
    sink.sample(name, pubsub(parts.broker->subscriber_counters(i)),
                {{"shard", shard}, {"connection", "pubsub"}});
  }
}

// A family whose samples are the same counter of both connections.
void connection_counter(MetricsSink& sink, const RedisEngineParts& parts, std::string_view name,
                        std::string_view help, IoCounter RedisConnectionCounters::*counter) {
  per_connection(
      sink, parts, name, Type::counter, help,
      [counter](const RedisConnectionCounters& c) { return (c.*counter).value(); },
      [counter](const SubscriberCounters& s) { return (s.connection.*counter).value(); });
}

// A family with one sample per shard: value(shard index).
template <class Value>
void per_shard(MetricsSink& sink, const RedisContext& context, std::string_view name, Type type,
               std::string_view help, Value value) {
  sink.family(name, type, help);
  for (std::size_t i = 0; i < context.shards(); ++i) {
    sink.sample(name, value(i), {{"shard", context.address(i)}});
  }
}

// A family with one sample per shard, read from its Pub/Sub connection.
void pubsub_counter(MetricsSink& sink, const RedisEngineParts& parts, std::string_view name,
                    std::string_view help, IoCounter SubscriberCounters::*counter) {
  per_shard(sink, *parts.context, name, Type::counter, help, [&](std::size_t i) {
    return (parts.broker->subscriber_counters(i).*counter).value();
  });
}

void single(MetricsSink& sink, std::string_view name, std::string_view help,
            std::uint64_t value) {
  sink.family(name, Type::counter, help);
  sink.sample(name, value, {});
}

}  // namespace

void write_redis_metrics(const RedisEngineParts& parts, MetricsSink& sink) {
  const RedisContext& context = *parts.context;
  per_shard(sink, context, "switchboard_redis_ready", Type::gauge,
            "1 while the shard's command connection is logged in and ready, else 0.",
            [&](std::size_t i) { return std::uint64_t{context.ready(i) ? 1u : 0u}; });
  connection_counter(sink, parts, "switchboard_redis_commands_total",
                     "Commands sent to Redis (logins, PINGs and (UN)SUBSCRIBEs included).",
                     &RedisConnectionCounters::commands);
  connection_counter(sink, parts, "switchboard_redis_writes_total",
                     "write() calls carrying commands (every command of one loop turn shares "
                     "one: commands_total / writes_total is the pipelining).",
                     &RedisConnectionCounters::writes);
  sink.family("switchboard_redis_rejected_total", Type::counter,
              "Commands failed before sending, by reason: not_connected (connecting or down), "
              "in_flight (max_in_flight commands awaited replies).");
  for (std::size_t i = 0; i < context.shards(); ++i) {
    const std::string_view shard = context.address(i);
    const RedisConnectionCounters& c = context.counters(i);
    const SubscriberCounters& s = parts.broker->subscriber_counters(i);
    sink.sample("switchboard_redis_rejected_total", c.rejected_not_connected.value(),
                {{"shard", shard}, {"connection", "command"}, {"reason", "not_connected"}});
    sink.sample("switchboard_redis_rejected_total", c.rejected_in_flight.value(),
                {{"shard", shard}, {"connection", "command"}, {"reason", "in_flight"}});
    // A subscribe while the Pub/Sub connection is down fails at once, as a command does.
    sink.sample("switchboard_redis_rejected_total", s.rejected_not_connected.value(),
                {{"shard", shard}, {"connection", "pubsub"}, {"reason", "not_connected"}});
  }
  connection_counter(sink, parts, "switchboard_redis_error_replies_total",
                     "Commands Redis refused with an error reply.",
                     &RedisConnectionCounters::error_replies);
  connection_counter(sink, parts, "switchboard_redis_failed_pending_total",
                     "Commands sent whose connection failed before the reply (timeout, lost, "
                     "shut down): effect unknown.",
                     &RedisConnectionCounters::failed_pending);
  per_connection(
      sink, parts, "switchboard_redis_timeouts_total", Type::counter,
      "Connection resets because Redis answered too late (redis_command_timeout): a reply on "
      "the command connection, a (un)subscribe confirmation on the Pub/Sub one.",
      [](const RedisConnectionCounters& c) { return c.timeouts.value(); },
      [](const SubscriberCounters& s) { return s.confirmation_timeouts.value(); });
  connection_counter(sink, parts, "switchboard_redis_connects_total",
                     "Successful logins: the first connect and every reconnect.",
                     &RedisConnectionCounters::connects);
  per_shard(sink, context, "switchboard_redis_in_flight", Type::gauge,
            "Commands sent on the shard's command connection and awaiting their reply.",
            [&](std::size_t i) { return context.counters(i).in_flight.value(); });
  pubsub_counter(sink, parts, "switchboard_redis_pubsub_messages_total",
                 "Pub/Sub messages received (publications for this node's channels, node "
                 "messages).",
                 &SubscriberCounters::messages);
  pubsub_counter(sink, parts, "switchboard_redis_pubsub_probes_total",
                 "Liveness probes sent on the Pub/Sub connection (a SUBSCRIBE and UNSUBSCRIBE "
                 "of a private name each ping interval while idle; a late answer resets it).",
                 &SubscriberCounters::probes);
  pubsub_counter(sink, parts, "switchboard_redis_resubscribed_total",
                 "Subscriptions confirmed again after the Pub/Sub connection came back.",
                 &SubscriberCounters::resubscribed);

  std::uint64_t unwanted = 0;
  for (std::size_t i = 0; i < context.shards(); ++i) {
    unwanted += parts.broker->subscriber_counters(i).dropped_unwanted.value();
  }
  sink.family("switchboard_redis_dropped_total", Type::counter,
              "What the Redis engine read and dropped, by reason and source: undecodable (not in "
              "this version's format: Pub/Sub messages, history entries, presence entries, "
              "offline messages), unwanted (Pub/Sub messages for a channel unsubscribed "
              "meanwhile).");
  sink.sample("switchboard_redis_dropped_total", parts.broker->stats().undecodable.load(),
              {{"reason", "undecodable"}, {"source", "pubsub"}});
  sink.sample("switchboard_redis_dropped_total", parts.history->stats().undecodable_entries.load(),
              {{"reason", "undecodable"}, {"source", "history"}});
  sink.sample("switchboard_redis_dropped_total", parts.presence->undecodable(),
              {{"reason", "undecodable"}, {"source", "presence"}});
  sink.sample("switchboard_redis_dropped_total", parts.offline->undecodable(),
              {{"reason", "undecodable"}, {"source", "offline"}});
  sink.sample("switchboard_redis_dropped_total", unwanted,
              {{"reason", "unwanted"}, {"source", "pubsub"}});

  const RedisBrokerStats& broker = parts.broker->stats();
  single(sink, "switchboard_redis_subscriptions_restored_total",
         "Channel subscriptions the broker lost with its Pub/Sub connection and has again "
         "(reported to the node, whose subscribers recover from history).",
         broker.subscriptions_restored.load());
  single(sink, "switchboard_redis_node_id_conflicts_total",
         "Node id lease refreshes that found another node's token: two nodes run with one id.",
         broker.node_id_conflicts.load());

  const RedisRateLimiterStats limiter = parts.rate_limiter->stats();
  sink.family("switchboard_redis_ratelimit_syncs_total", Type::counter,
              "Syncs of local rate limit buckets with their shared bucket in Redis, by result: "
              "applied (Redis's reply replaced the local bucket), failed (no usable reply: the "
              "local bucket kept its own count).");
  sink.sample("switchboard_redis_ratelimit_syncs_total", limiter.synced, {{"result", "applied"}});
  sink.sample("switchboard_redis_ratelimit_syncs_total", limiter.sync_failures,
              {{"result", "failed"}});
  single(sink, "switchboard_redis_ratelimit_local_only_total",
         "Allowed takes the local bucket decided alone, not charged to the shared one (Redis "
         "not ready, or too many syncs pending).",
         limiter.local_only);
  single(sink, "switchboard_redis_ratelimit_over_admitted_total",
         "Takes allowed on a stale local view that the shared bucket could not cover (charged "
         "as a debt).",
         limiter.over_admitted);
}

}  // namespace switchboard::engine::redis
