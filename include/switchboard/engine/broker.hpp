#pragma once
// Broker: moves publications between nodes. A node subscribes to the channels it has local
// subscribers for; a publication reaches every subscribed node exactly once, however many
// local subscribers it has there (fan-out to connections is the node's job, not the broker's).
//
// Contract (tests/contract/broker_contract.hpp runs it against every implementation):
// - publish() delivers to every node subscribed to the channel at the time of the publish,
//   the publishing node included, in publish order per channel and publisher; with history it
//   first appends to the channel's stream in the same atomic step (one round trip for a
//   network backend), and every node receives a channel's publications in offset order;
// - a node not subscribed receives nothing; unsubscribe() stops deliveries;
// - a node's subscriptions are a set, not a count: subscribing twice delivers once, and one
//   unsubscribe() ends it (the node counts its local subscribers itself);
// - publish_to_node() reaches exactly the named node, through on_node_message(), whatever
//   that node subscribed to (send-to-user on a remote node);
// - idempotent publish: a publish whose publication has an idempotency key (and a dedupe
//   window > 0) while an earlier publish with the same key on the same channel took effect
//   less than that earlier publish's window ago is a duplicate: nothing is stored or delivered,
//   and its completion gets no error and a copy of this call's publication carrying the
//   FIRST publish's position (offset and epoch as stored; 0 and "" if it had no history) with
//   `duplicate = true` — the publisher counts it, and a node sees the one position every node
//   agreed on. Keys are per channel. A key is remembered only once its publish took effect, so
//   a publish that failed leaves nothing behind and a retry (or another node) can still win.
//   After the window the key is forgotten and the same key publishes again. Keys are bounded
//   (each lives for its window; a backend may forget keys early under memory pressure, which
//   at worst lets a duplicate through); publish_to_node() takes no key;
// - every call's completion runs exactly once: an empty error_code once the call took effect
//   (for subscribe: deliveries for the channel have started), else an EngineErrc (backend
//   down, not started) instead of dropping silently. A completion may be empty.
//
// Thread safety: every method may be called from any thread concurrently, after start().
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "switchboard/engine/error.hpp"
#include "switchboard/engine/history_store.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

class BrokerHandler {
 public:
  virtual ~BrokerHandler() = default;
  // A publication for a channel this node subscribed to. May be called on any thread (the
  // memory broker calls it on the publisher's thread); the node posts it to its workers.
  // It must not block, and it may call the broker again (no lock is held while it runs).
  virtual void on_publication(const PublicationPtr& publication) = 0;
  // Several publications at once, in order: what a broker received together (one read from a
  // remote backend). The node hands them to each worker in one step, so that the worker
  // writes them to a connection together (fewer, fuller writes). Same threading as above.
  virtual void on_publications(std::span<const PublicationPtr> batch) {
    for (const PublicationPtr& p : batch) on_publication(p);
  }
  // A message addressed to this node by publish_to_node(). Same threading as above.
  virtual void on_node_message(const PublicationPtr& publication) = 0;
  // The broker had lost its subscription to `channel` (its connection to the backend dropped)
  // and has it again: publications made meanwhile did not reach this node, and Pub/Sub does
  // not replay them. The node recovers them from history for its subscribers (or tells them
  // `not_recovered`). Same threading as above. A broker that never loses subscriptions (the
  // memory broker) never calls it.
  virtual void on_subscription_restored(std::string_view /*channel*/) {}
};

class Broker {
 public:
  virtual ~Broker() = default;
  // Starts delivering to `handler` as node `node_id`. Called once, before anything else;
  // `handler` must outlive the broker. Throws std::invalid_argument when the id is taken.
  virtual void start(std::string node_id, BrokerHandler& handler) = 0;
  virtual void subscribe(std::string_view channel, Completion done) = 0;
  virtual void unsubscribe(std::string_view channel, Completion done) = 0;
  // With `history.size` > 0 the publication is stored first: the stored copy (offset and epoch
  // filled in) is what every node receives and what `done` gets. With size 0 it is delivered
  // as given (offset 0), and `done` gets it too. On failure nothing was stored or delivered.
  virtual void publish(Publication publication, const HistoryOptions& history,
                       ResultCallback<PublicationPtr> done) = 0;
  virtual void publish_to_node(std::string_view node_id, const PublicationPtr& publication,
                               Completion done) = 0;
};

}  // namespace switchboard::engine
