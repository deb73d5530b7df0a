// An engine with a relay broker. See relay_engine.hpp.
#include "switchboard/engine/relay/relay_engine.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

namespace switchboard::engine::relay {
namespace {

// The engine's own backend (Redis) and the transport's server, seen as one.
class RelayBackend final : public EngineBackend {
 public:
  RelayBackend(std::shared_ptr<EngineBackend> engine, std::shared_ptr<BrokerTransport> transport,
               std::shared_ptr<RelayStats> stats)
      : engine_(std::move(engine)), transport_(std::move(transport)), stats_(std::move(stats)) {}

  // The transport connects when the broker starts (it needs the node id).
  void start() override {
    if (engine_) engine_->start();
  }
  void stop() override {
    transport_->stop();
    if (engine_) engine_->stop();
  }
  std::vector<BackendHealth> health() const override {
    std::vector<BackendHealth> out = engine_ ? engine_->health() : std::vector<BackendHealth>{};
    for (BackendHealth& h : transport_->health()) out.push_back(std::move(h));
    return out;
  }
  void write_metrics(MetricsSink& sink) const override {
    if (engine_) engine_->write_metrics(sink);
    transport_->write_metrics(sink);
    write_relay_metrics(*stats_, sink);
  }

 private:
  std::shared_ptr<EngineBackend> engine_;
  std::shared_ptr<BrokerTransport> transport_;
  std::shared_ptr<RelayStats> stats_;
};

}  // namespace

Engine with_relay_broker(Engine engine, std::shared_ptr<BrokerTransport> transport,
                         RelayBrokerOptions options) {
  if (engine.broker || !engine.publish_keys || !engine.history) {
    throw std::invalid_argument(
        "relay broker: the engine must come without a broker and with history and keys");
  }
  if (!options.stats) options.stats = std::make_shared<RelayStats>();
  engine.broker = make_relay_broker(transport, *engine.history, engine.publish_keys, options);
  engine.backend = std::make_shared<RelayBackend>(std::move(engine.backend), std::move(transport),
                                                  options.stats);
  return engine;
}

}  // namespace switchboard::engine::relay
