#pragma once
// The engine: every piece of state a node shares with other nodes, behind small interfaces.
// The embedded default is the memory engine (one node, no external server); distributed
// backends (Redis, NATS, RabbitMQ) implement the same interfaces and pass the same contract
// suites (tests/contract/).
//
// Thread safety: every interface method may be called from any worker thread concurrently.
#include <memory>
#include <string>
#include <vector>

#include "switchboard/engine/broker.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/history_store.hpp"
#include "switchboard/engine/metrics_sink.hpp"
#include "switchboard/engine/node_registry.hpp"
#include "switchboard/engine/offline_store.hpp"
#include "switchboard/engine/presence_store.hpp"
#include "switchboard/engine/publish_keys.hpp"
#include "switchboard/engine/rate_limiter.hpp"
#include "switchboard/engine/snapshot_store.hpp"

namespace switchboard::engine {

// The health of one server an engine depends on, for /health and /ready.
struct BackendHealth {
  std::string name;  // "redis 127.0.0.1:6379"
  bool up = true;
  std::string detail;  // why it is down ("Connection refused"), empty when up
};

// The life of an engine that talks to servers of its own (Redis): the node starts it before
// the broker and stops it after its workers, and reads its health. The memory engine has none.
class EngineBackend {
 public:
  virtual ~EngineBackend() = default;
  // Begins connecting, asynchronously: a server that is down only makes health() say so, and
  // the engine's calls fail with `unavailable` until it is reachable. Once.
  virtual void start() = 0;
  // Closes the connections; calls still pending complete with an error. Idempotent.
  virtual void stop() = 0;
  // Any thread.
  virtual std::vector<BackendHealth> health() const = 0;
  // The backend's own counters (metrics_sink.hpp), for /metrics. Any thread, before start()
  // and after stop() too; never blocks on the backend's I/O.
  virtual void write_metrics(MetricsSink& sink) const = 0;
};

struct Engine {
  std::unique_ptr<Broker> broker;
  std::unique_ptr<HistoryStore> history;
  std::unique_ptr<PresenceStore> presence;
  std::unique_ptr<NodeRegistry> registry;
  std::unique_ptr<RateLimiter> rate_limiter;
  std::unique_ptr<OfflineStore> offline;
  std::unique_ptr<SnapshotStore> snapshots;
  // The idempotency keys on their own, for a broker over another transport (relay/); null
  // when the engine's broker keeps them itself and nothing else can (memory). Shared: calls
  // in flight when the engine goes away still use them.
  std::shared_ptr<PublishKeys> publish_keys;
  // The clock the stores' TTLs run on: whoever keeps entries alive (the node refreshing its
  // registry entries) reads the same one.
  NowFn now = system_now();
  // Null for an engine without servers of its own (memory): always healthy.
  std::shared_ptr<EngineBackend> backend;
};

// The in-memory engine (src/engine/memory/, docs/engine.md). `now` drives every TTL; the
// broker sits alone on a private MemoryBrokerHub (one node).
Engine make_memory_engine(NowFn now = system_now());

}  // namespace switchboard::engine
