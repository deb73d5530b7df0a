#include "compiled_rule.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "field_path.hpp"
#include "switchboard/protocol/json_check.hpp"
#include "switchboard/protocol/json_fields.hpp"
#include "switchboard/ws/utf8.hpp"

namespace switchboard::ingress {
namespace {

using config::IngressFormat;
using config::IngressTargetKind;

// The keys an envelope may have; anything else makes the message a payload of its own.
bool envelope_key(std::string_view key) {
  return key == "type" || key == "payload" || key == "id" || key == "requires_ack";
}

struct EnvelopeParts {
  std::string type;
  std::string payload;
  std::string id;
  bool requires_ack = false;
};

std::optional<EnvelopeParts> as_envelope(std::string_view body) {
  auto fields = protocol::JsonFields::parse(body);
  if (!fields) return std::nullopt;
  bool only_envelope_keys = true;
  fields->for_each([&](std::string_view key, std::string_view) {
    if (!envelope_key(key)) only_envelope_keys = false;
  });
  if (!only_envelope_keys || !fields->has("payload")) return std::nullopt;
  auto type = fields->string("type");
  if (!type || type->empty()) return std::nullopt;
  EnvelopeParts parts;
  parts.type = std::move(*type);
  parts.payload = *fields->raw("payload");
  if (const std::string* id = fields->raw("id")) {
    if (auto text = fields->string("id")) {
      parts.id = std::move(*text);
    } else if (!id->empty() && (id->front() == '-' || (id->front() >= '0' && id->front() <= '9'))) {
      parts.id = *id;
    } else {
      return std::nullopt;
    }
  }
  if (fields->has("requires_ack")) {
    auto ack = fields->boolean("requires_ack");
    if (!ack) return std::nullopt;
    parts.requires_ack = *ack;
  }
  return parts;
}

// 128 bits of SHA-256 over what makes a message the same one on every node, as hex: the rule,
// then the subject and the body — or, for a message with an id, a tag no subject starts with
// (a rule's subject is text) and the id.
std::string idempotency_key(std::string_view rule, std::string_view subject,
                            std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const unsigned char zero = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, rule.data(), rule.size());
  EVP_DigestUpdate(ctx, &zero, 1);
  EVP_DigestUpdate(ctx, subject.data(), subject.size());
  EVP_DigestUpdate(ctx, &zero, 1);
  EVP_DigestUpdate(ctx, body.data(), body.size());
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(32);
  for (unsigned i = 0; i < 16 && i < length; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

}  // namespace

std::string_view reason_name(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::too_large: return "too_large";
    case RejectReason::not_utf8: return "not_utf8";
    case RejectReason::not_json: return "not_json";
    case RejectReason::missing_field: return "missing_field";
    case RejectReason::bad_field: return "bad_field";
    case RejectReason::bad_target: return "bad_target";
    case RejectReason::enrich_failed: return "enrich_failed";
  }
  return "unknown";
}

CompiledRule::CompiledRule(config::IngressRuleConfig config, std::size_t max_message_size)
    : config_(std::move(config)), max_message_size_(max_message_size) {
  std::string error;
  for (const auto& text : config_.source == config::IngressSourceKind::postgres ? config_.topics
                                                                              : config_.patterns) {
    auto pattern = GlobPattern::parse(text, error);
    if (!pattern) throw std::invalid_argument("ingress rule " + config_.name + ": " + error);
    patterns_.push_back(std::move(*pattern));
  }
  for (const auto& text : config_.subjects) {
    auto subject = TokenPattern::parse(text, error);
    if (!subject) throw std::invalid_argument("ingress rule " + config_.name + ": " + error);
    subjects_.push_back(std::move(*subject));
  }
  // A topic exchange's binding keys capture; other exchanges' keys are literal.
  if (config_.source == config::IngressSourceKind::rabbitmq && !config_.exchange.empty() &&
      config_.exchange_type == "topic") {
    for (const auto& text : config_.bindings) {
      auto binding = BindingPattern::parse(text, error);
      if (!binding) throw std::invalid_argument("ingress rule " + config_.name + ": " + error);
      bindings_.push_back(std::move(*binding));
    }
  }
  const std::string* target = config_.target == IngressTargetKind::channel ? &config_.channel
                              : config_.target == IngressTargetKind::user  ? &config_.user
                                                                           : nullptr;
  if (target != nullptr) {
    target_ = Template::parse(*target, error);
    if (!target_) throw std::invalid_argument("ingress rule " + config_.name + ": " + error);
  }
}

std::optional<std::vector<std::string_view>> CompiledRule::captures(
    const IngressMessage& message) const {
  // RabbitMQ does not say which binding routed a message: the first that matches, in config
  // order; none (a key bound by someone else, or the default exchange) captures nothing.
  for (const auto& binding : bindings_) {
    if (auto captured = binding.match(message.subject)) return captured;
  }
  if (message.pattern.empty()) return std::vector<std::string_view>{};
  for (const auto& pattern : patterns_) {
    if (pattern.text() == message.pattern) return pattern.match(message.subject);
  }
  for (const auto& subject : subjects_) {
    if (subject.text() == message.pattern) return subject.match(message.subject);
  }
  return std::vector<std::string_view>{};
}

std::variant<std::string, RejectReason> CompiledRule::fill(
    const Template& t, const IngressMessage& message,
    const std::vector<std::string_view>& captures) const {
  std::string out;
  for (const auto& segment : t.segments()) {
    switch (segment.kind) {
      case Template::Segment::Kind::literal:
        out += segment.text;
        break;
      case Template::Segment::Kind::capture:
        if (segment.capture == 0) {
          out += message.subject;
        } else if (segment.capture <= captures.size()) {
          out += captures[segment.capture - 1];
        } else {
          return RejectReason::bad_target;  // a channel rule, or a pattern with fewer wildcards
        }
        break;
      case Template::Segment::Kind::field: {
        if (config_.format == IngressFormat::raw &&
            protocol::check_json(message.body) != protocol::JsonCheck::valid) {
          return RejectReason::not_json;
        }
        auto value = field_text(message.body, segment.text);
        if (auto* error = std::get_if<FieldError>(&value)) {
          return *error == FieldError::missing ? RejectReason::missing_field
                                               : RejectReason::bad_field;
        }
        out += std::get<std::string>(value);
        break;
      }
    }
  }
  if (out.empty()) return RejectReason::bad_target;
  return out;
}

std::variant<IngressDelivery, RejectReason> CompiledRule::route(
    const IngressMessage& message) const {
  if (message.body.size() > max_message_size_) return RejectReason::too_large;
  IngressDelivery d;
  engine::Publication& p = d.publication;
  if (config_.format == IngressFormat::raw) {
    if (!ws::is_valid_utf8(message.body)) return RejectReason::not_utf8;
    p.raw = true;
    p.payload = std::string(message.body);
  } else {
    if (protocol::check_json(message.body) != protocol::JsonCheck::valid) {
      return RejectReason::not_json;
    }
    std::optional<EnvelopeParts> envelope;
    if (config_.event.empty() && message.event.empty()) envelope = as_envelope(message.body);
    if (!message.event.empty()) {
      p.type = std::string(message.event);
      p.payload = std::string(message.body);
    } else if (envelope) {
      p.type = std::move(envelope->type);
      p.payload = std::move(envelope->payload);
      p.id = std::move(envelope->id);
      p.requires_ack = envelope->requires_ack;
    } else {
      p.type = config_.event.empty() ? "message.new" : config_.event;
      p.payload = std::string(message.body);
    }
    p.requires_ack = (p.requires_ack || config_.requires_ack) &&
                     config_.target != IngressTargetKind::all;
  }
  d.target = config_.target == IngressTargetKind::channel ? IngressTarget::channel
             : config_.target == IngressTargetKind::user  ? IngressTarget::user
                                                          : IngressTarget::all;
  if (target_) {
    auto matched = captures(message);
    if (!matched) return RejectReason::bad_target;
    auto name = fill(*target_, message, *matched);
    if (auto* reason = std::get_if<RejectReason>(&name)) return *reason;
    d.name = std::move(std::get<std::string>(name));
  }
  if (config_.consumers == config::IngressConsumers::one && config_.dedupe_window.count() > 0) {
    if (config_.source != config::IngressSourceKind::rabbitmq &&
        config_.source != config::IngressSourceKind::postgres) {
      d.idempotency_key = idempotency_key(config_.name, message.subject, message.body);
      d.dedupe_window = config_.dedupe_window;
    } else if (!message.message_id.empty()) {
      // A queue's equal bodies are distinct messages: only the publisher's id makes two one.
      static constexpr std::string_view kById{"\x01message_id", 11};
      d.idempotency_key = idempotency_key(config_.name, kById, message.message_id);
      d.dedupe_window = config_.dedupe_window;
    }
  }
  return d;
}

}  // namespace switchboard::ingress
