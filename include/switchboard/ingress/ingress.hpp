#pragma once
// Ingress: the module that consumes the brokers backends publish to (Redis Pub/Sub today) and
// hands each message, routed by the configuration's [[ingress]] rules, to the node through an
// IngressSink. docs/ingress.md is the user's description; docs/ARCHITECTURE.md the tour.
//
// Threads: the sources run on one "sb-ingress" thread of their own; routing happens there, and
// the sink is called there. No worker ever waits on a broker.
#include <memory>
#include <vector>

#include "switchboard/config/config.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/engine/metrics_sink.hpp"
#include "switchboard/ingress/ingress_sink.hpp"

namespace switchboard::ingress {

class Ingress {
 public:
  virtual ~Ingress() = default;
  // Connects the sources and subscribes; a server down shows in health(), not as an error.
  virtual void start() = 0;
  // Stops consuming and joins the thread; deliveries already handed over complete on their
  // own (their completions touch only shared counters). Idempotent.
  virtual void stop() = 0;
  // One entry per source ("ingress redis 127.0.0.1:6379"), down while not subscribed.
  virtual std::vector<engine::BackendHealth> health() const = 0;
  virtual void write_metrics(engine::MetricsSink& sink) const = 0;
};

// The ingress of `config.ingress` (empty: an ingress that does nothing). `sink` must outlive
// it. Throws std::invalid_argument for a rule the configuration should have refused.
std::unique_ptr<Ingress> make_ingress(const config::Config& config, IngressSink& sink);

}  // namespace switchboard::ingress
