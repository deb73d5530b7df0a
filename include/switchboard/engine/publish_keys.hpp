#pragma once
// PublishKeys: the Broker contract's idempotency keys (broker.hpp) kept where every node sees
// them, for a broker whose transport cannot check them itself (the relay broker over RabbitMQ
// or NATS, relay/relay_broker.hpp). The Redis engine keeps them as its own broker does:
// `P hr:<idempotency_slot>` holding "<expires_ms>:<offset>:<epoch>", so a publish with history
// (RedisHistory::append checks and writes the same key) and one without share one rule.
//
// Thread safety: any thread; callbacks may run on any thread.
#include <optional>

#include "switchboard/engine/error.hpp"
#include "switchboard/engine/history_store.hpp"
#include "switchboard/engine/publication.hpp"

namespace switchboard::engine {

class PublishKeys {
 public:
  virtual ~PublishKeys() = default;
  // For a publication with deduplicated() true: takes its key for its window at its own
  // position (offset and epoch as given; 0 and "" without history). Completes with nullopt
  // when this publish holds the key now (it goes ahead), or with the position of the publish
  // that holds it (a duplicate: nothing is sent); or an error and no effect.
  virtual void claim(const Publication& publication,
                     ResultCallback<std::optional<StreamPosition>> done) = 0;
  // HistoryStore::append (of the engine's history) with the key checked and taken in the same
  // step: a duplicate is not stored and completes with duplicate_of() the holder's position.
  virtual void append(Publication publication, const HistoryOptions& options,
                      ResultCallback<PublicationPtr> done) = 0;
  // Gives up the key `publication` took (by claim() or append()) when its
  // send failed, so that a retry or another node can still win: deleted only while it still
  // holds this publication's position. Best effort: an error leaves the key to expire.
  virtual void release(const Publication& publication, Completion done = {}) = 0;
};

}  // namespace switchboard::engine
