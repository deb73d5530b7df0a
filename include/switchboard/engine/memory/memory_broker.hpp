#pragma once
// MemoryBroker: the single-process Broker. Several MemoryBrokers attached to one
// MemoryBrokerHub behave as the nodes of a cluster (how the contract suite checks "each
// subscribed node gets it exactly once"); the memory engine gives its broker a private hub.
//
// Delivery is synchronous: publish() calls every subscribed node's handler on the caller's
// thread, then its completion — so deliveries from one publisher are in publish order.
// Publications without history are delivered outside any lock (a handler may call the broker
// again); those with history are appended to the hub's history and delivered under the
// channel's stripe lock, so that every node sees a channel's offsets in order (a handler must
// not publish to the same channel synchronously). Completions run on the caller's thread
// before the call returns, outside every lock.
//
// Idempotency keys (broker.hpp) live in the hub, checked and written under the channel's
// stripe: a key is remembered for its window by the hub's clock, expired keys are swept as
// new ones come, and at most 4096 live keys per stripe (256 K in all) are kept — past that a
// new key evicts an old one (idempotency_keys.hpp).
//
// Thread safety: every method may be called from any thread concurrently. A broker must not be
// destroyed while another thread may still publish to a channel it subscribed to, or to its
// node (in a node, the broker is destroyed after the workers stopped).
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/engine/broker.hpp"
#include "switchboard/engine/clock.hpp"

namespace switchboard::engine {

class MemoryBroker;

// The shared "network" of MemoryBrokers: which node listens under which id, and which nodes
// subscribed to which channel. Only MemoryBroker uses its internals.
class MemoryBrokerHub {
 public:
  // `now` drives the history's TTLs and the idempotency keys' windows.
  explicit MemoryBrokerHub(NowFn now = system_now());
  ~MemoryBrokerHub();
  MemoryBrokerHub(const MemoryBrokerHub&) = delete;
  MemoryBrokerHub& operator=(const MemoryBrokerHub&) = delete;

  // Channels at least one node subscribed to (for tests and metrics).
  std::size_t channel_count() const;
  // The channel streams every broker of the hub appends to: the history the nodes read.
  HistoryStore& history() noexcept;

 private:
  friend class MemoryBroker;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class MemoryBroker final : public Broker {
 public:
  // A broker alone on a private hub: the single-node default.
  MemoryBroker();
  explicit MemoryBroker(std::shared_ptr<MemoryBrokerHub> hub);
  // Detaches from the hub: the node's subscriptions end and its id is free again.
  ~MemoryBroker() override;
  MemoryBroker(const MemoryBroker&) = delete;
  MemoryBroker& operator=(const MemoryBroker&) = delete;

  void start(std::string node_id, BrokerHandler& handler) override;
  void subscribe(std::string_view channel, Completion done) override;
  void unsubscribe(std::string_view channel, Completion done) override;
  void publish(Publication publication, const HistoryOptions& history,
               ResultCallback<PublicationPtr> done) override;
  // Completes with EngineErrc::unknown_node when no started broker of the hub has that id.
  void publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                       Completion done) override;

 private:
  friend class MemoryBrokerHub;
  std::shared_ptr<MemoryBrokerHub> hub_;
  // Both set once by start(), before the broker is shared with other threads.
  std::string node_id_;
  BrokerHandler* handler_ = nullptr;
};

}  // namespace switchboard::engine
