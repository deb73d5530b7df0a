#include "compiled_rule.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

using config::IngressRuleConfig;
using config::IngressTargetKind;

IngressRuleConfig pattern_rule(std::string pattern, IngressTargetKind target,
                               std::string name_template) {
  IngressRuleConfig r;
  r.name = "r";
  r.patterns = {std::move(pattern)};
  r.target = target;
  (target == IngressTargetKind::channel ? r.channel : r.user) = std::move(name_template);
  r.consumers = config::IngressConsumers::every;
  return r;
}

IngressDelivery routed(const CompiledRule& rule, IngressMessage m) {
  auto r = rule.route(m);
  if (auto* reason = std::get_if<RejectReason>(&r)) {
    ADD_FAILURE() << "rejected: " << reason_name(*reason);
    return {};
  }
  return std::get<IngressDelivery>(std::move(r));
}

RejectReason rejected(const CompiledRule& rule, IngressMessage m) {
  auto r = rule.route(m);
  EXPECT_TRUE(std::holds_alternative<RejectReason>(r));
  return std::holds_alternative<RejectReason>(r) ? std::get<RejectReason>(r)
                                                 : RejectReason::bad_target;
}

TEST(CompiledRule, Seed001EnvelopeOnAPatternBecomesItsChannelsEvent) {
  CompiledRule rule(pattern_rule("ws:conv:*", IngressTargetKind::channel, "conv:{1}"), 1024);
  const auto d = routed(rule, {"ws:conv:c-1", "ws:conv:*",
                               R"({"type":"message.new","payload":{"conversation_id":"c-1"}})"});
  EXPECT_EQ(d.target, IngressTarget::channel);
  EXPECT_EQ(d.name, "conv:c-1");
  EXPECT_EQ(d.publication.type, "message.new");
  EXPECT_EQ(d.publication.payload, R"({"conversation_id":"c-1"})");
  EXPECT_FALSE(d.publication.raw);
  EXPECT_TRUE(d.idempotency_key.empty());  // consumers = every
}

TEST(CompiledRule, EnvelopeIdAndRequiresAckAreTaken) {
  CompiledRule rule(pattern_rule("ws:user:*", IngressTargetKind::user, "{1}"), 1024);
  const auto d = routed(
      rule, {"ws:user:u1", "ws:user:*", R"({"type":"t","payload":1,"id":7,"requires_ack":true})"});
  EXPECT_EQ(d.name, "u1");
  EXPECT_EQ(d.publication.id, "7");
  EXPECT_TRUE(d.publication.requires_ack);
  EXPECT_EQ(d.publication.payload, "1");
}

TEST(CompiledRule, AFixedEventTakesTheWholeMessageAndAUserFromANumber) {
  // Seed 002: its notification has a "type" of its own and no "payload": not an envelope.
  IngressRuleConfig c;
  c.name = "notifications";
  c.channels = {"notifications"};
  c.target = IngressTargetKind::user;
  c.user = "{user_id}";
  c.event = "notification-received";
  CompiledRule rule(c, 1024);
  const std::string body =
      R"({"created_at":"2024","data":null,"id":9,"message":"Hi","title":"T","type":"system","user_id":42})";
  const auto d = routed(rule, {"notifications", "", body});
  EXPECT_EQ(d.name, "42");
  EXPECT_EQ(d.publication.type, "notification-received");
  EXPECT_EQ(d.publication.payload, body);
  EXPECT_TRUE(d.publication.id.empty());
  // Without a fixed event it is a message.new, still whole: the strict envelope key set.
  c.event.clear();
  CompiledRule plain(c, 1024);
  const auto p = routed(plain, {"notifications", "", body});
  EXPECT_EQ(p.publication.type, "message.new");
  EXPECT_EQ(p.publication.payload, body);
  // An envelope with a key of its own is a payload too.
  const auto q = routed(plain, {"notifications", "", R"({"type":"x","payload":1,"user_id":1})"});
  EXPECT_EQ(q.publication.type, "message.new");
}

TEST(CompiledRule, RawMessagesAreTheFrame) {
  IngressRuleConfig c;
  c.name = "posts";
  c.channels = {"posts"};
  c.target = IngressTargetKind::all;
  c.format = config::IngressFormat::raw;
  CompiledRule rule(c, 1024);
  const auto d = routed(rule, {"posts", "", R"({"action":"created","payload":{}})"});
  EXPECT_EQ(d.target, IngressTarget::all);
  EXPECT_TRUE(d.publication.raw);
  EXPECT_EQ(d.publication.payload, R"({"action":"created","payload":{}})");
  // Raw need not be JSON, but must be UTF-8 (it becomes a text frame).
  EXPECT_TRUE(routed(rule, {"posts", "", "plain text"}).publication.raw);
  EXPECT_EQ(rejected(rule, {"posts", "", "\xff\xfe"}), RejectReason::not_utf8);
}

TEST(CompiledRule, RequiresAckFromTheRuleNotForEveryone) {
  IngressRuleConfig c = pattern_rule("a:*", IngressTargetKind::channel, "a:{1}");
  c.requires_ack = true;
  EXPECT_TRUE(routed(CompiledRule(c, 1024), {"a:1", "a:*", "{}"}).publication.requires_ack);
  IngressRuleConfig all;
  all.name = "all";
  all.channels = {"x"};
  all.target = IngressTargetKind::all;
  const auto d = routed(CompiledRule(all, 1024), {"x", "", R"({"type":"t","payload":1,"requires_ack":true})"});
  EXPECT_FALSE(d.publication.requires_ack);
}

TEST(CompiledRule, RefusalsByReason) {
  CompiledRule rule(pattern_rule("ws:user:*", IngressTargetKind::user, "{1}"), 64);
  EXPECT_EQ(rejected(rule, {"ws:user:u", "ws:user:*", std::string(65, ' ')}),
            RejectReason::too_large);
  EXPECT_EQ(rejected(rule, {"ws:user:u", "ws:user:*", "not json"}), RejectReason::not_json);
  EXPECT_EQ(rejected(rule, {"ws:user:", "ws:user:*", "{}"}), RejectReason::bad_target);
  IngressRuleConfig c;
  c.name = "n";
  c.channels = {"n"};
  c.target = IngressTargetKind::user;
  c.user = "{user_id}";
  CompiledRule by_field(c, 1024);
  EXPECT_EQ(rejected(by_field, {"n", "", R"({"id":1})"}), RejectReason::missing_field);
  EXPECT_EQ(rejected(by_field, {"n", "", R"({"user_id":4.5})"}), RejectReason::bad_field);
  EXPECT_EQ(rejected(by_field, {"n", "", R"({"user_id":""})"}), RejectReason::bad_target);
}

TEST(CompiledRule, NatsSubjectCapturesFillTheTemplate) {
  IngressRuleConfig c;
  c.name = "orders";
  c.source = config::IngressSourceKind::nats;
  c.subjects = {"orders.*.>"};
  c.target = IngressTargetKind::channel;
  c.channel = "orders:{1}:{2}";
  CompiledRule rule(c, 1024);
  EXPECT_EQ(routed(rule, {"orders.eu.a.b", "orders.*.>", "{}"}).name, "orders:eu:a.b");
}

TEST(CompiledRule, RabbitMqTopicBindingsCaptureFromTheRoutingKey) {
  IngressRuleConfig c;
  c.name = "rooms";
  c.source = config::IngressSourceKind::rabbitmq;
  c.queue = "q";
  c.exchange = "tutora.ws";
  c.exchange_type = "topic";
  c.bindings = {"room.*", "board.#"};
  c.target = IngressTargetKind::channel;
  c.channel = "room:{1}";
  CompiledRule rule(c, 1024);
  // The source names no pattern: the first binding that matches the routing key captures.
  EXPECT_EQ(routed(rule, {"room.r1", "", "{}"}).name, "room:r1");
  EXPECT_EQ(routed(rule, {"board.b.7", "", "{}"}).name, "room:b.7");
  // A key none of the bindings matches (published to the queue directly): nothing captured.
  EXPECT_EQ(rejected(rule, {"elsewhere", "", "{}"}), RejectReason::bad_target);
  // A direct exchange's keys are literal: nothing to capture, {0} is the routing key.
  c.exchange_type = "direct";
  c.bindings = {"room.*"};
  c.channel = "k:{0}";
  EXPECT_EQ(routed(CompiledRule(c, 1024), {"room.*", "", "{}"}).name, "k:room.*");
}

TEST(CompiledRule, IdempotencyKeyNamesRuleSubjectAndBytes) {
  IngressRuleConfig c = pattern_rule("a:*", IngressTargetKind::channel, "a:{1}");
  c.consumers = config::IngressConsumers::one;
  c.dedupe_window = std::chrono::milliseconds(2000);
  CompiledRule rule(c, 1024);
  const auto k = routed(rule, {"a:1", "a:*", "{}"});
  EXPECT_EQ(k.idempotency_key.size(), 32u);
  EXPECT_EQ(k.dedupe_window, std::chrono::milliseconds(2000));
  EXPECT_EQ(routed(rule, {"a:1", "a:*", "{}"}).idempotency_key, k.idempotency_key);
  EXPECT_NE(routed(rule, {"a:2", "a:*", "{}"}).idempotency_key, k.idempotency_key);
  EXPECT_NE(routed(rule, {"a:1", "a:*", "{ }"}).idempotency_key, k.idempotency_key);
  c.name = "other";
  EXPECT_NE(routed(CompiledRule(c, 1024), {"a:1", "a:*", "{}"}).idempotency_key,
            k.idempotency_key);
  c.dedupe_window = std::chrono::milliseconds(0);
  EXPECT_TRUE(routed(CompiledRule(c, 1024), {"a:1", "a:*", "{}"}).idempotency_key.empty());
}

// RabbitMQ with a dedupe window: the key is the rule's and the message_id's, so a message
// republished with its id is one whatever its bytes or routing key; a message without an id
// gets none (a queue's equal bodies are distinct messages).
TEST(CompiledRule, RabbitMqIdempotencyKeyIsTheMessageId) {
  IngressRuleConfig c;
  c.name = "orders";
  c.source = config::IngressSourceKind::rabbitmq;
  c.queue = "q";
  c.target = IngressTargetKind::all;
  c.consumers = config::IngressConsumers::one;
  c.dedupe_window = std::chrono::milliseconds(60000);
  CompiledRule rule(c, 1024);
  const auto k = routed(rule, {"a", "", "{}", "id-1"});
  EXPECT_EQ(k.idempotency_key.size(), 32u);
  EXPECT_EQ(k.dedupe_window, std::chrono::milliseconds(60000));
  EXPECT_EQ(routed(rule, {"b", "", "{\"x\":1}", "id-1"}).idempotency_key, k.idempotency_key);
  EXPECT_NE(routed(rule, {"a", "", "{}", "id-2"}).idempotency_key, k.idempotency_key);
  const auto none = routed(rule, {"a", "", "{}"});
  EXPECT_TRUE(none.idempotency_key.empty());
  EXPECT_EQ(none.dedupe_window, std::chrono::milliseconds(0));
  c.name = "other";
  EXPECT_NE(routed(CompiledRule(c, 1024), {"a", "", "{}", "id-1"}).idempotency_key,
            k.idempotency_key);
}

}  // namespace
}  // namespace switchboard::ingress
