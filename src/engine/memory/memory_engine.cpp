// make_memory_engine(): the embedded single-node engine, every store on one injected clock.
#include <memory>

#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/memory/memory_broker.hpp"
#include "switchboard/engine/memory/memory_history.hpp"
#include "switchboard/engine/memory/memory_node_registry.hpp"
#include "switchboard/engine/memory/memory_offline_store.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"

namespace switchboard::engine {

Engine make_memory_engine(NowFn now) {
  Engine engine;
  engine.broker = std::make_unique<MemoryBroker>();  // alone on a private hub
  engine.history = std::make_unique<MemoryHistory>(now);
  engine.presence = std::make_unique<MemoryPresence>(now);
  engine.registry = std::make_unique<MemoryNodeRegistry>(now);
  engine.rate_limiter = std::make_unique<MemoryRateLimiter>(now);
  engine.offline = std::make_unique<MemoryOfflineStore>(now);
  engine.now = std::move(now);
  return engine;
}

}  // namespace switchboard::engine
