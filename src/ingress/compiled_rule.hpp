#pragma once
// CompiledRule: an [[ingress]] rule ready to route — its patterns and templates parsed once —
// and route(), which turns one broker message into a delivery for the node, or says why not.
//
// Per message (docs/ingress.md, "Routing"):
// 1. Shape: larger than ingress_max_message_size → too_large; format = raw must be UTF-8 (it
//    becomes a text frame) → not_utf8; format = envelope must be JSON → not_json.
// 2. Event: an outbox row's event column, when set, takes the whole message as payload; so
//    does a fixed `event` the whole message as payload. Without one, a message that is
//    an envelope — an object with a non-empty string "type", a "payload", and no keys but
//    type, payload, id, requires_ack — gives its own; anything else is a "message.new" whose
//    payload is the whole message. The strict key set keeps seed 002's notification (it has
//    a "type" but no "payload") whole.
// 3. Target: the templates filled from the subject, the pattern's captures and the message's
//    fields → missing_field / bad_field; an empty name → bad_target (the node checks the rest).
// 4. With consumers = one and a dedupe window, an idempotency key: the same bytes on the same
//    subject under the same rule are one message on every node. RabbitMQ and the outbox: the
//    same message_id (row id) under the same rule, whatever its bytes (none without one).
//
// Thread safety: const after construction; route() on any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "binding_pattern.hpp"
#include "glob_pattern.hpp"
#include "switchboard/config/ingress_rule.hpp"
#include "switchboard/ingress/ingress_sink.hpp"
#include "template.hpp"
#include "token_pattern.hpp"

namespace switchboard::ingress {

enum class RejectReason : std::uint8_t {
  too_large,
  not_utf8,
  not_json,
  missing_field,
  bad_field,
  bad_target,
  enrich_failed,  // its enrich query failed enrich.max_attempts times
};
inline constexpr std::size_t kRejectReasons = 7;
std::string_view reason_name(RejectReason reason) noexcept;

// One message as a source received it. Views valid during route() only.
struct IngressMessage {
  std::string_view subject;  // the Redis channel, the NATS subject
  std::string_view pattern;  // the Redis pattern that matched (pmessage) or the rule's NATS
                             // subject it came by; empty for an exact Redis channel
  std::string_view body;
  std::string_view message_id = {};  // RabbitMQ's message_id property, an outbox row's id;
                                     // empty when unset
  std::string_view event = {};  // an outbox row's event column; empty: NULL or none
  unsigned attempt = 0;  // hand-overs of this message that failed before (RabbitMQ's retries)
};

class CompiledRule {
 public:
  // Throws std::invalid_argument for what the configuration check refuses.
  CompiledRule(config::IngressRuleConfig config, std::size_t max_message_size);

  const config::IngressRuleConfig& config() const noexcept { return config_; }
  const std::string& name() const noexcept { return config_.name; }

  std::variant<IngressDelivery, RejectReason> route(const IngressMessage& message) const;

 private:
  // {0}, the captures and the fields put together; a RejectReason when one is missing.
  std::variant<std::string, RejectReason> fill(const Template& t, const IngressMessage& message,
                                               const std::vector<std::string_view>& captures) const;

  config::IngressRuleConfig config_;
  std::size_t max_message_size_;
  // The captures of `message.subject` by the pattern it came through; nullopt when it does
  // not match (a glob's step budget).
  std::optional<std::vector<std::string_view>> captures(const IngressMessage& message) const;

  std::vector<GlobPattern> patterns_;  // redis patterns, outbox topics: in config order,
                                       // found by their text
  std::vector<TokenPattern> subjects_;  // nats, the same
  std::vector<BindingPattern> bindings_;  // rabbitmq with a topic exchange, in config order
  std::optional<Template> target_;     // channel or user template; none for `all`
};

}  // namespace switchboard::ingress
