#pragma once
// One `[[ingress]]` table of the TOML file: where a broker's messages come from and what they
// become at the node. docs/ingress.md describes every field; src/config/ingress_rules.cpp
// reads and checks them (exit 2 naming the rule, the file line and the field).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::config {

enum class IngressSourceKind : std::uint8_t { redis, nats, rabbitmq, postgres };
// RabbitMQ: how the queue (and exchange) is declared — automatic: used as it exists, created
// when missing; passive: must exist; create: declared with this rule's arguments.
enum class IngressDeclare : std::uint8_t { automatic, passive, create };
// channel: a channel's subscribers; user: every connection of one user; all: everyone.
enum class IngressTargetKind : std::uint8_t { channel, user, all };
// envelope: clients get Switchboard's envelope; raw: the message bytes as the whole frame.
enum class IngressFormat : std::uint8_t { envelope, raw };
// Who consumes when several nodes run the rule: one node publishes each message through the
// engine (the others' copies are collapsed by the idempotency key), or every node delivers
// to its own clients (the memory engine, where nodes share nothing).
enum class IngressConsumers : std::uint8_t { one, every };

// postgres: the outbox table's column names (docs/ingress.md, "PostgreSQL outbox").
struct OutboxColumns {
  std::string id = "id";            // bigint, the claim order
  std::string topic = "topic";      // text: what the rule's topics match
  std::string event = "event";      // text NULL: the event type; NULL: as for a broker message
  std::string payload = "payload";  // jsonb (or text): the message body
  std::string failed_at = "failed_at";  // timestamptz NULL: set when a row is moved aside
  std::string error = "error";          // text NULL: why
  bool operator==(const OutboxColumns&) const = default;
};

// A rule's enrichment (docs/ingress.md, "Enrichment from PostgreSQL"): before routing, the
// messages of a batch are completed by one query, `$1` the array of their `key` fields.
struct EnrichConfig {
  std::string url;    // PostgreSQL; empty: postgres_url
  std::string query;  // returns rows (key text, value json); empty: no enrichment
  std::string key;    // field path of the message: its element of $1
  std::string into;   // field path the value is set at; empty: the value is the whole message
  bool deliver_missing = false;  // no row for the key: deliver the message as it is (else skip)
  unsigned max_attempts = 10;    // failed queries before a message is rejected (dead-lettered)
  bool enabled() const noexcept { return !query.empty(); }
};

struct IngressRuleConfig {
  std::string name;                      // metric label and log name; "ingress[<i>]" if unset
  std::string location;                  // "file:line" of the table, for messages
  IngressSourceKind source = IngressSourceKind::redis;
  std::string url;                       // this rule's server; empty: ingress_redis_url / nats_url
  std::vector<std::string> channels;     // redis: SUBSCRIBE
  std::vector<std::string> patterns;     // redis: PSUBSCRIBE globs, captures {1}..{9}
  std::vector<std::string> subjects;     // nats: subjects, '*' and '>' captures {1}..{9}
  std::string queue_group;               // nats, consumers = one; empty: "switchboard.<name>"
  std::string queue;                     // rabbitmq; empty: ingress_queue
  IngressDeclare declare = IngressDeclare::automatic;
  bool durable = true;                   // rabbitmq: when we create the queue / exchange
  std::string dead_letter_exchange;      // rabbitmq: x-dead-letter-exchange when we create it
  std::string exchange;                  // rabbitmq: empty: the queue only
  std::string exchange_type = "topic";   // topic | direct | fanout
  std::vector<std::string> bindings;     // rabbitmq: routing keys; ["#"] with an exchange
  unsigned prefetch = 256;               // rabbitmq: unacknowledged deliveries at once
  std::string table = "switchboard_outbox";  // postgres: [schema.]table
  std::vector<std::string> topics;       // postgres: globs over the topic column, captures {1}..{9}
  std::string notify;                    // postgres: LISTEN channel; empty: the table's name
  OutboxColumns columns;                 // postgres
  EnrichConfig enrich;                   // any source
  IngressTargetKind target = IngressTargetKind::channel;
  std::string channel;                   // template, target = channel
  std::string user;                      // template, target = user (user_field = "f" is "{f}")
  std::string event;                     // fixed event type; empty: the envelope's, else message.new
  IngressFormat format = IngressFormat::envelope;
  bool requires_ack = false;             // envelope only
  IngressConsumers consumers = IngressConsumers::one;  // resolved from the engine when unset
  bool consumers_set = false;
  // consumers = one: identical bytes are one message (redis: 2 s; nats: 0, a queue group
  // gives each message to one node already).
  std::chrono::milliseconds dedupe_window{2000};
  // 0: each message at once; else the rule's messages are held and handed over together,
  // in order, once per interval (seed 003 processes its queue every 5 s).
  std::chrono::milliseconds batch_interval{0};
};

}  // namespace switchboard::config
