#pragma once
// The engine: every piece of state a node shares with other nodes, behind small interfaces.
// The embedded default is the memory engine (one node, no external server); distributed
// backends (Redis, NATS, RabbitMQ) implement the same interfaces and pass the same contract
// suites (tests/contract/).
//
// Thread safety: every interface method may be called from any worker thread concurrently.
#include <memory>

#include "switchboard/engine/broker.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/history_store.hpp"
#include "switchboard/engine/node_registry.hpp"
#include "switchboard/engine/offline_store.hpp"
#include "switchboard/engine/presence_store.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine {

struct Engine {
  std::unique_ptr<Broker> broker;
  std::unique_ptr<HistoryStore> history;
  std::unique_ptr<PresenceStore> presence;
  std::unique_ptr<NodeRegistry> registry;
  std::unique_ptr<RateLimiter> rate_limiter;
  std::unique_ptr<OfflineStore> offline;
  // The clock the stores' TTLs run on: whoever keeps entries alive (the node refreshing its
  // registry entries) reads the same one.
  NowFn now = system_now();
};

// The in-memory engine (src/engine/memory/, docs/engine.md). `now` drives every TTL; the
// broker sits alone on a private MemoryBrokerHub (one node).
Engine make_memory_engine(NowFn now = system_now());

}  // namespace switchboard::engine
