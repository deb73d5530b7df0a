#pragma once
// RedisBroker: the Broker on Redis Pub/Sub (docs/engine.md "Redis engine: Broker and History").
//
// - Channels: Pub/Sub channel `P c:<channel>` on the channel's shard; one RedisSubscriber
//   connection per shard. subscribe() completes on Redis's confirmation (deliveries have
//   started); a subscriber connection that is not up fails at once with `unavailable`.
// - publish() with history.size > 0 is one script on the channel's shard (history_scripts.hpp):
//   offset, epoch, stream entry and PUBLISH in one atomic step, so every node receives a
//   channel's offsets in rising order, and `done` gets the stored copy. With size 0 it is one
//   PUBLISH of the publication as given (as MemoryBroker: nothing stored, offsets untouched).
// - Idempotency keys (broker.hpp): with history the append script checks and writes the key
//   `P hr:<slot>` in the same step; without, a publish with a key is a small script instead of
//   the plain PUBLISH (history_scripts.hpp). The key is on the channel's shard, holds the first
//   publish's position, and expires after the window (PX); it is not in the message.
// - publish_to_node(id): PUBLISH to `P n:<id>`, the node channel every broker subscribes on
//   shard(id); Redis answers how many received it, and 0 is `unknown_node`.
// - Deliveries are decoded once into a PublicationPtr and handed to the handler on the
//   context's I/O thread, in the order Redis sent them. Messages that do not decode are
//   dropped and counted (stats().undecodable).
// - After a subscriber connection comes back, every channel is subscribed again and
//   on_subscription_restored(channel) reports each: what was published meanwhile did not reach
//   this node (Pub/Sub does not replay). A Redis restart also starts new epochs
//   (redis_history.hpp), so the node's recovery from history reports `not recovered`.
// - start(id) claims the id (NodeLease). When every shard is ready it waits, bounded by
//   connect_timeout + 2 × command_timeout, for the claim, the subscriber connections and the
//   node channel's confirmation, and throws std::invalid_argument when another running node
//   holds the id. When Redis is not reachable it returns at once without that check: the
//   connections come up by themselves, the node channel is subscribed when its connection is,
//   and the lease refresh reports (logs, stats().node_id_conflicts) an id found taken later.
//
// - A server that stalls silently is found by the subscriber connections' probe
//   (redis_subscriber.hpp) within ping_interval + command_timeout.
//
// Thread safety: every method may be called from any thread after start(); completions and
// handler calls run on the context's I/O thread (or `unavailable` at once on the caller's
// thread once the context stopped). Destroy the broker on another thread than the I/O thread:
// the destructor waits for the I/O thread to close its subscriptions (pending completions then
// run with `unavailable`). Stopping the context closes them too (an on_stop hook), so the
// broker may also be destroyed after the context stopped — but not while stop() runs on
// another thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "redis_context.hpp"
#include "redis_counters.hpp"
#include "switchboard/engine/broker.hpp"

namespace switchboard::engine::redis {

struct RedisBrokerStats {
  std::atomic<std::uint64_t> undecodable{0};  // Pub/Sub messages not in our format: dropped
  std::atomic<std::uint64_t> subscriptions_restored{0};  // channels resubscribed after a loss
  std::atomic<std::uint64_t> node_id_conflicts{0};       // lease refreshes finding another token
};

class RedisBroker final : public Broker {
 public:
  explicit RedisBroker(std::shared_ptr<RedisContext> context);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  void start(std::string node_id, BrokerHandler& handler) override;
  void subscribe(std::string_view channel, Completion done) override;
  void unsubscribe(std::string_view channel, Completion done) override;
  void publish(Publication publication, const HistoryOptions& history,
               ResultCallback<PublicationPtr> done) override;
  void publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                       Completion done) override;

  const RedisBrokerStats& stats() const noexcept;
  // The Pub/Sub connection of `shard`: its counters, readable from any thread, before start()
  // and after the subscribers closed too.
  const SubscriberCounters& subscriber_counters(std::size_t shard) const noexcept;
  // Any thread: the broker started and `shard`'s Pub/Sub connection is not logged in.
  bool subscriber_down(std::size_t shard) const noexcept;

 private:
  struct State;
  struct Startup;
  std::shared_ptr<RedisContext> context_;  // first: outlives the state's I/O objects
  // Shared with the calls posted to the I/O thread; its I/O objects are closed there by the
  // destructor.
  std::shared_ptr<State> state_;
  std::atomic<bool> started_{false};
};

}  // namespace switchboard::engine::redis
