#pragma once
// IngressSource: one broker connection the ingress consumes (a Redis server's Pub/Sub today),
// as the Ingress facade drives it and /health and /metrics read it. A source hands each
// message to the Handoff (handoff.hpp) on the ingress thread.
//
// Thread safety: start() and stop() on the ingress thread; name(), health(), up() and
// connects() on any thread.
#include <cstdint>
#include <functional>
#include <string>

#include "switchboard/engine/engine.hpp"

namespace switchboard::ingress {

// What became of a message, for a source that acknowledges to its broker (RabbitMQ):
// delivered — the engine took it (ack); rejected — no rule can route it and retrying cannot
// help (reject, to the dead-letter exchange); failed — the engine did not take it, or too many
// were in flight (hand it over again later). A Settle is called exactly once, on any thread.
enum class Outcome : std::uint8_t { delivered, rejected, failed };
using Settle = std::function<void(Outcome)>;

class IngressSource {
 public:
  virtual ~IngressSource() = default;
  // Connects and subscribes, asynchronously: a broker down shows in health(), not as an error.
  virtual void start() = 0;
  // Stops consuming; nothing is handed over afterwards. Idempotent.
  virtual void stop() = 0;
  // "ingress redis 127.0.0.1:6379": the source's label in /metrics and its /health name.
  virtual const std::string& name() const noexcept = 0;
  // Down, with the reason, until connected and consuming everything its rules name.
  virtual engine::BackendHealth health() const = 0;
  virtual bool up() const noexcept = 0;
  virtual std::uint64_t connects() const noexcept = 0;  // successful (re)connections
  // Messages the broker's client dropped before the ingress saw them (a slow consumer).
  virtual std::uint64_t dropped() const noexcept { return 0; }
};

}  // namespace switchboard::ingress
