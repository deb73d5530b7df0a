// make_memory_engine(): the embedded single-node engine, every store on one injected clock.
#include <memory>

#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/memory/memory_broker.hpp"
#include "switchboard/engine/memory/memory_node_registry.hpp"
#include "switchboard/engine/memory/memory_offline_store.hpp"
#include "switchboard/engine/memory/memory_snapshot_store.hpp"
#include "switchboard/engine/memory/memory_presence.hpp"
#include "switchboard/engine/memory/memory_rate_limiter.hpp"

namespace switchboard::engine {
namespace {

// The node reads the history its broker appends to: the hub's (held alive by this handle).
class HubHistory final : public HistoryStore {
 public:
  explicit HubHistory(std::shared_ptr<MemoryBrokerHub> hub) : hub_(std::move(hub)) {}
  void append(Publication publication, const HistoryOptions& options,
              ResultCallback<PublicationPtr> done) override {
    hub_->history().append(std::move(publication), options, std::move(done));
  }
  void read(std::string_view channel, std::optional<StreamPosition> since, std::size_t limit,
            ResultCallback<HistoryResult> done) override {
    hub_->history().read(channel, since, limit, std::move(done));
  }
  void remove(std::string_view channel, Completion done) override {
    hub_->history().remove(channel, std::move(done));
  }

 private:
  std::shared_ptr<MemoryBrokerHub> hub_;
};

}  // namespace

Engine make_memory_engine(NowFn now) {
  Engine engine;
  auto hub = std::make_shared<MemoryBrokerHub>(now);  // a private hub: one node
  engine.broker = std::make_unique<MemoryBroker>(hub);
  engine.history = std::make_unique<HubHistory>(std::move(hub));
  engine.presence = std::make_unique<MemoryPresence>(now);
  engine.registry = std::make_unique<MemoryNodeRegistry>(now);
  engine.rate_limiter = std::make_unique<MemoryRateLimiter>(now);
  engine.offline = std::make_unique<MemoryOfflineStore>(now);
  engine.snapshots = std::make_unique<MemorySnapshotStore>(now);
  engine.now = std::move(now);
  return engine;
}

}  // namespace switchboard::engine
