#pragma once
// IngressSink: where a broker message, routed by an ingress rule, goes at the node. The
// ingress module knows the node only through this interface (node::NodeIngressSink implements
// it over Node's publish, send_to_user and broadcast).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

#include "switchboard/engine/publication.hpp"

namespace switchboard::ingress {

enum class IngressTarget : std::uint8_t { channel, user, all };

struct IngressDelivery {
  IngressTarget target = IngressTarget::channel;
  std::string name;  // the channel, or the user id; empty for `all`
  // type, payload, id, requires_ack and raw as the rule made them; `channel` is filled by the
  // sink (the channel, the user's channel, or the broadcast channel).
  engine::Publication publication;
  // Set when several nodes consume the same message (consumers = one): the engine delivers
  // the first publish with this key within `dedupe_window` and only completes the others.
  std::string idempotency_key;
  std::chrono::milliseconds dedupe_window{0};
};

// Errors a sink reports besides the engine's (EngineErrc): the delivery named no valid
// target, which retrying cannot fix.
enum class IngressErrc { bad_target = 1 };
const std::error_category& ingress_category() noexcept;
inline std::error_code make_error_code(IngressErrc e) noexcept {
  return {static_cast<int>(e), ingress_category()};
}

class IngressSink {
 public:
  // `duplicate`: the engine had the idempotency key already, and delivered nothing.
  using Done = std::function<void(std::error_code, bool duplicate)>;
  virtual ~IngressSink() = default;
  // Any thread, never blocks. `done` runs once, on any thread: an empty error once the engine
  // took the delivery; IngressErrc::bad_target; or the engine's error (EngineErrc).
  virtual void deliver(IngressDelivery delivery, Done done) = 0;
  // This node's id (node_id, or the one made up at start): names its own RabbitMQ queue of a
  // consumers = "every" rule. Empty: none (such a rule is then refused).
  virtual std::string node_id() const { return {}; }
};

}  // namespace switchboard::ingress

template <>
struct std::is_error_code_enum<switchboard::ingress::IngressErrc> : std::true_type {};
