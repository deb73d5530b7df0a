#include "ingress_rules.hpp"

#include <algorithm>
#include <optional>

#include "amqp_url.hpp"
#include "binding_pattern.hpp"
#include "glob_pattern.hpp"
#include "pg_dsn.hpp"
#include "redis_url.hpp"
#include "template.hpp"
#include "token_pattern.hpp"
#include "value_text.hpp"

namespace switchboard::config {
namespace {

// The fields a rule may set, in the order docs/ingress.md lists them.
constexpr std::string_view kFields[] = {
    "name",     "source",       "url",           "channels",       "patterns",
    "subjects", "queue_group",  "queue",         "declare",        "durable",
    "dead_letter_exchange",     "exchange",      "exchange_type",  "bindings",
    "prefetch", "table",        "topics",        "notify",         "columns",
    "enrich",
    "target",       "channel",       "user",           "user_field",
    "event",    "format",       "requires_ack",  "consumers",      "dedupe_window",
    "batch_interval"};

// The fields only one source reads.
struct SourceField {
  std::string_view field;
  IngressSourceKind source;
};
constexpr SourceField kSourceFields[] = {
    {"channels", IngressSourceKind::redis},       {"patterns", IngressSourceKind::redis},
    {"subjects", IngressSourceKind::nats},        {"queue_group", IngressSourceKind::nats},
    {"queue", IngressSourceKind::rabbitmq},       {"declare", IngressSourceKind::rabbitmq},
    {"durable", IngressSourceKind::rabbitmq},     {"dead_letter_exchange", IngressSourceKind::rabbitmq},
    {"exchange", IngressSourceKind::rabbitmq},    {"exchange_type", IngressSourceKind::rabbitmq},
    {"bindings", IngressSourceKind::rabbitmq},    {"prefetch", IngressSourceKind::rabbitmq},
    {"table", IngressSourceKind::postgres},       {"topics", IngressSourceKind::postgres},
    {"notify", IngressSourceKind::postgres},      {"columns", IngressSourceKind::postgres}};

std::string_view source_name(IngressSourceKind kind) {
  switch (kind) {
    case IngressSourceKind::redis: return "redis";
    case IngressSourceKind::nats: return "nats";
    case IngressSourceKind::rabbitmq: return "rabbitmq";
    case IngressSourceKind::postgres: return "postgres";
  }
  return "?";
}

template <std::size_t N>
bool one_of(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

std::string field_list() {
  std::string list;
  for (auto f : kFields) list += (list.empty() ? "" : ", ") + std::string(f);
  return list;
}

// One [[ingress]] table being read: the rule, and where its problems are reported.
class RuleReader {
 public:
  RuleReader(const std::string& path, const toml::table& table, std::size_t index,
             std::vector<std::string>& errors)
      : table_(table), errors_(errors) {
    rule_.name = "ingress[" + std::to_string(index) + "]";
    rule_.location = path + ":" + std::to_string(table.source().begin.line);
  }

  std::optional<IngressRuleConfig> read() {
    if (auto name = text("name")) {
      if (name->empty()) fail("name", "must not be empty");
      rule_.name = *name;
    }
    for (const auto& [key, value] : table_) {
      if (!one_of(kFields, key.str())) {
        fail(key.str(), "is not a field of an ingress rule (fields: " + field_list() + ")");
      }
    }
    read_source();
    for (const auto& [field, source] : kSourceFields) {
      if (table_.contains(field) && source != rule_.source) {
        fail(field, "is a field of source = \"" + std::string(source_name(source)) + "\"");
      }
    }
    rule_.url = text("url").value_or("");
    if (rule_.source == IngressSourceKind::rabbitmq) {
      read_rabbitmq();
    } else if (rule_.source == IngressSourceKind::postgres) {
      read_postgres();
    } else {
      rule_.channels = list("channels");
      rule_.patterns = list("patterns");
      rule_.subjects = list("subjects");
      rule_.queue_group = text("queue_group").value_or("");
    }
    if (rule_.source == IngressSourceKind::nats) rule_.dedupe_window = {};
    read_target();
    rule_.event = text("event").value_or("");
    if (table_.contains("event") && rule_.event.empty()) fail("event", "must not be empty");
    read_format();
    rule_.requires_ack = flag("requires_ack").value_or(false);
    read_consumers();
    if (auto window = duration("dedupe_window", 24ULL * 3600 * 1000, "24h")) {
      rule_.dedupe_window = *window;
    }
    if (auto interval = duration("batch_interval", 3600ULL * 1000, "1h")) {
      rule_.batch_interval = *interval;
    }
    if (rule_.source == IngressSourceKind::postgres && rule_.batch_interval.count() > 0) {
      fail("batch_interval", "does not apply to source = \"postgres\": rows are claimed in "
                             "batches already (postgres_outbox_batch), and holding them would "
                             "hold the claim's transaction open");
    }
    read_enrich();
    if (rule_.source != IngressSourceKind::rabbitmq) check_subscriptions();
    check_delivery();
    if (failed_) return std::nullopt;
    return std::move(rule_);
  }

 private:
  void fail(std::string_view field, const std::string& what) {
    failed_ = true;
    errors_.push_back("ingress rule '" + rule_.name + "' (" + rule_.location + "): " +
                      std::string(field) + " " + what);
  }

  std::optional<std::string> text(std::string_view field) {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return std::nullopt;
    if (const auto* s = node->as_string()) return s->get();
    fail(field, "must be a string");
    return std::nullopt;
  }
  std::optional<bool> flag(std::string_view field) {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return std::nullopt;
    if (const auto* b = node->as_boolean()) return b->get();
    fail(field, "must be true or false");
    return std::nullopt;
  }
  std::vector<std::string> list(std::string_view field) {
    std::vector<std::string> items;
    const toml::node* node = table_.get(field);
    if (node == nullptr) return items;
    const auto* array = node->as_array();
    if (array != nullptr) {
      for (const auto& element : *array) {
        const auto* item = element.as_string();
        if (item == nullptr || item->get().empty()) {
          array = nullptr;
          break;
        }
        items.push_back(item->get());
      }
    }
    if (array == nullptr || items.empty()) {
      fail(field, "must be a non-empty array of non-empty strings, e.g. [\"ws:conv:*\"]");
      items.clear();
    }
    return items;
  }
  // One of `choices`, by name; nullopt when absent (or wrong, after failing).
  template <typename E>
  std::optional<E> choice(std::string_view field,
                          std::initializer_list<std::pair<std::string_view, E>> choices) {
    auto value = text(field);
    if (!value) return std::nullopt;
    std::string names;
    for (const auto& [name, e] : choices) {
      if (name == *value) return e;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    fail(field, "'" + *value + "' is not one of: " + names);
    return std::nullopt;
  }

  void read_source() {
    if (!table_.contains("source")) {
      fail("source", "is required (redis, nats, rabbitmq or postgres)");
      return;
    }
    if (auto kind = choice<IngressSourceKind>("source", {{"redis", IngressSourceKind::redis},
                                                         {"nats", IngressSourceKind::nats},
                                                         {"rabbitmq", IngressSourceKind::rabbitmq},
                                                         {"postgres", IngressSourceKind::postgres}})) {
      rule_.source = *kind;
    }
  }

  // RabbitMQ: the queue, how it is declared, the optional exchange and its bindings.
  void read_rabbitmq() {
    rule_.queue = text("queue").value_or("");
    if (table_.contains("queue") && rule_.queue.empty()) fail("queue", "must not be empty");
    if (auto mode = choice<IngressDeclare>("declare", {{"auto", IngressDeclare::automatic},
                                                       {"passive", IngressDeclare::passive},
                                                       {"create", IngressDeclare::create}})) {
      rule_.declare = *mode;
    }
    rule_.durable = flag("durable").value_or(true);
    rule_.dead_letter_exchange = text("dead_letter_exchange").value_or("");
    rule_.exchange = text("exchange").value_or("");
    if (auto type = choice<std::string_view>("exchange_type", {{"topic", "topic"},
                                                               {"direct", "direct"},
                                                               {"fanout", "fanout"}})) {
      rule_.exchange_type = std::string(*type);
    }
    if (table_.contains("bindings")) rule_.bindings = list("bindings");
    if (rule_.exchange.empty()) {
      for (auto field : {"exchange_type", "bindings"}) {
        if (table_.contains(field)) fail(field, "needs exchange (the exchange to bind the queue to)");
      }
    } else if (rule_.bindings.empty() && !table_.contains("bindings")) {
      if (rule_.exchange_type == "direct") {
        fail("bindings", "is required with exchange_type = \"direct\" (the routing keys)");
      }
      rule_.bindings = {rule_.exchange_type == "topic" ? "#" : ""};
    }
    // A topic exchange's binding keys capture ('*' a word, '#' words); other keys are literal.
    if (!rule_.exchange.empty() && rule_.exchange_type == "topic") {
      captures_ = fewest_wildcards<ingress::BindingPattern>("bindings", rule_.bindings);
    }
    if (const toml::node* node = table_.get("prefetch")) {
      const auto* i = node->as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > 65535) {
        fail("prefetch", "must be an integer from 1 to 65535");
      } else {
        rule_.prefetch = static_cast<unsigned>(i->get());
      }
    }
    // "every" (read by read_consumers()) binds a queue of each node's own to the exchange.
    if (table_.contains("consumers") && text("consumers").value_or("") == "every" &&
        rule_.exchange.empty()) {
      fail("consumers", "\"every\" needs exchange: each node consumes a queue of its own, "
                        "<queue>.<node_id>, bound to it (a queue alone gives each message to "
                        "one consumer)");
    }
    // Off unless asked for: a queue hands each message to one consumer already. With a window,
    // a message republished (or redelivered) with the same message_id is one (compiled_rule).
    rule_.dedupe_window = std::chrono::milliseconds(0);
    rule_.consumers = IngressConsumers::one;
    rule_.consumers_set = true;
  }

  // PostgreSQL: the outbox table, its columns, the topics this rule takes, the NOTIFY channel.
  void read_postgres() {
    if (auto table = text("table")) {
      rule_.table = *table;
      const auto dot = table->find('.');
      const std::string name = dot == std::string::npos ? *table : table->substr(dot + 1);
      const std::string schema = dot == std::string::npos ? "x" : table->substr(0, dot);
      if (!identifier(name) || !identifier(schema)) {
        fail("table", "must be [schema.]name, each a non-empty identifier of at most 63 bytes");
      }
    }
    const auto dot = rule_.table.find('.');
    rule_.notify = text("notify").value_or(
        dot == std::string::npos ? rule_.table : rule_.table.substr(dot + 1));
    if (!identifier(rule_.notify)) {
      fail("notify", "must be a channel name of 1 to 63 bytes");
    }
    rule_.topics = table_.contains("topics") ? list("topics") : std::vector<std::string>{"*"};
    if (const toml::node* node = table_.get("columns")) {
      const auto* columns = node->as_table();
      if (columns == nullptr) {
        fail("columns", "must be a table, e.g. { id = \"event_id\", payload = \"body\" }");
        return;
      }
      OutboxColumns& c = rule_.columns;
      const std::pair<std::string_view, std::string*> names[] = {
          {"id", &c.id},           {"topic", &c.topic},         {"event", &c.event},
          {"payload", &c.payload}, {"failed_at", &c.failed_at}, {"error", &c.error}};
      for (const auto& [key, value] : *columns) {
        std::string* target = nullptr;
        for (const auto& [n, t] : names) {
          if (n == key.str()) target = t;
        }
        const auto* s = value.as_string();
        if (target == nullptr) {
          fail("columns", "has no column '" + std::string(key.str()) +
                              "' (columns: id, topic, event, payload, failed_at, error)");
        } else if (s == nullptr ||
                   (!identifier(s->get()) && !(key.str() == "event" && s->get().empty()))) {
          fail("columns", std::string(key.str()) + " must be a column name of 1 to 63 bytes" +
                              (key.str() == "event" ? " (\"\": the table has none)" : ""));
        } else {
          *target = s->get();
        }
      }
    }
    // Each row is claimed by one node: "every" would have no other node deliver it.
    if (text("consumers").value_or("one") == "every") {
      fail("consumers", "\"every\" does not apply to an outbox: each row is claimed by one "
                        "node, which publishes it through the engine");
    }
    rule_.consumers = IngressConsumers::one;
    rule_.consumers_set = true;
  }

  // enrich = { query, key, into, missing, max_attempts, url }: any source.
  void read_enrich() {
    const toml::node* node = table_.get("enrich");
    if (node == nullptr) return;
    const auto* t = node->as_table();
    if (t == nullptr) {
      fail("enrich", "must be a table, e.g. { query = \"SELECT …\", key = \"id\" }");
      return;
    }
    EnrichConfig& e = rule_.enrich;
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      const auto* s = value.as_string();
      if (k == "max_attempts") {
        const auto* i = value.as_integer();
        if (i == nullptr || i->get() < 1 || i->get() > 1000) {
          fail("enrich", "max_attempts must be an integer from 1 to 1000");
        } else {
          e.max_attempts = static_cast<unsigned>(i->get());
        }
      } else if (k != "query" && k != "key" && k != "into" && k != "missing" && k != "url") {
        fail("enrich", "has no field '" + k + "' (fields: query, key, into, missing, max_attempts, url)");
      } else if (s == nullptr) {
        fail("enrich", k + " must be a string");
      } else if (k == "query") {
        e.query = s->get();
      } else if (k == "key") {
        e.key = s->get();
      } else if (k == "into") {
        e.into = s->get();
      } else if (k == "url") {
        e.url = s->get();
      } else if (s->get() == "skip" || s->get() == "deliver") {
        e.deliver_missing = s->get() == "deliver";
      } else {
        fail("enrich", "missing '" + s->get() + "' is not one of: skip, deliver");
      }
    }
    if (e.query.find("$1") == std::string::npos) {
      fail("enrich", "query is required and takes the batch's keys as $1 (e.g. WHERE id = ANY($1::bigint[]))");
      e.query.clear();
    }
    if (e.key.empty()) fail("enrich", "key is required: the field of each message its row is found by");
    if (!e.url.empty()) {
      if (auto problem = pg::dsn_problem(e.url)) fail("enrich", "url: " + *problem);
    }
  }

  static bool identifier(const std::string& name) {
    return !name.empty() && name.size() <= 63 && name.find('\0') == std::string::npos;
  }

  void read_target() {
    if (!table_.contains("target")) {
      fail("target", "is required (channel, user or all)");
      return;
    }
    if (auto target = choice<IngressTargetKind>("target", {{"channel", IngressTargetKind::channel},
                                                           {"user", IngressTargetKind::user},
                                                           {"all", IngressTargetKind::all}})) {
      rule_.target = *target;
    }
    rule_.channel = text("channel").value_or("");
    rule_.user = text("user").value_or("");
    if (auto field = text("user_field")) {
      if (table_.contains("user")) fail("user_field", "and user exclude each other: set one");
      rule_.user = "{" + *field + "}";
    }
  }

  void read_format() {
    if (auto format = choice<IngressFormat>(
            "format", {{"envelope", IngressFormat::envelope}, {"raw", IngressFormat::raw}})) {
      rule_.format = *format;
    }
  }

  void read_consumers() {
    if (auto consumers = choice<IngressConsumers>(
            "consumers", {{"one", IngressConsumers::one}, {"every", IngressConsumers::every}})) {
      rule_.consumers = *consumers;
      rule_.consumers_set = true;
    }
  }

  // A duration field: "5s", "500ms" or an integer of milliseconds, from 0 to `max_ms`.
  std::optional<std::chrono::milliseconds> duration(std::string_view field, std::uint64_t max_ms,
                                                    std::string_view max_text) {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return std::nullopt;
    std::optional<std::uint64_t> ms;
    if (const auto* s = node->as_string()) ms = parse_duration_ms(s->get());
    if (const auto* i = node->as_integer(); i != nullptr && i->get() >= 0) {
      ms = static_cast<std::uint64_t>(i->get());
    }
    if (!ms || *ms > max_ms) {
      fail(field, "must be a duration from 0 to " + std::string(max_text) + ", e.g. \"2s\"");
      return std::nullopt;
    }
    return std::chrono::milliseconds(*ms);
  }

  // Parses each of `texts` as a Pattern (GlobPattern, TokenPattern), failing `field` for the
  // bad ones; the fewest wildcards of any (what every template may use), 0 when none parses.
  template <typename Pattern>
  unsigned fewest_wildcards(std::string_view field, const std::vector<std::string>& texts) {
    std::optional<unsigned> fewest;
    for (const auto& text : texts) {
      std::string error;
      auto pattern = Pattern::parse(text, error);
      if (!pattern) {
        fail(field, "'" + text + "': " + error);
        continue;
      }
      fewest = std::min(fewest.value_or(pattern->wildcards()), pattern->wildcards());
    }
    return fewest.value_or(0);
  }

  // What to subscribe to, and how many captures each pattern gives the templates.
  void check_subscriptions() {
    if (rule_.source == IngressSourceKind::postgres) {
      captures_ = fewest_wildcards<ingress::GlobPattern>("topics", rule_.topics);
      return;
    }
    if (rule_.source == IngressSourceKind::nats) {
      if (!table_.contains("subjects")) {
        fail("subjects", "is required: the NATS subjects to consume ('*' and '>' wildcards)");
      }
      captures_ = fewest_wildcards<ingress::TokenPattern>("subjects", rule_.subjects);
      return;
    }
    if (rule_.channels.empty() && rule_.patterns.empty() && !table_.contains("channels") &&
        !table_.contains("patterns")) {
      fail("channels", "or patterns is required: the Redis channels (or PSUBSCRIBE patterns) "
                       "to consume");
    }
    // Exact channels capture nothing.
    captures_ = fewest_wildcards<ingress::GlobPattern>("patterns", rule_.patterns);
    if (!rule_.channels.empty()) captures_ = 0;
  }

  void check_template(std::string_view field, const std::string& text) {
    std::string error;
    auto t = ingress::Template::parse(text, error);
    if (!t) {
      fail(field, "'" + text + "': " + error);
      return;
    }
    if (t->max_capture() > captures_) {
      const bool nats = rule_.source == IngressSourceKind::nats;
      const bool rabbit = rule_.source == IngressSourceKind::rabbitmq;
      const bool outbox = rule_.source == IngressSourceKind::postgres;
      fail(field, "'" + text + "' uses {" + std::to_string(t->max_capture()) + "}, but " +
                      (outbox ? "its topics have only " + std::to_string(captures_) +
                                    " wildcard(s) ({0} is the row's topic)"
                       : rabbit && captures_ > 0
                           ? "its bindings have only " + std::to_string(captures_) +
                                 " wildcard(s)"
                       : rabbit         ? std::string("a queue's messages capture nothing")
                       : nats           ? "its subjects have only " + std::to_string(captures_) +
                                              " wildcard(s)"
                       : captures_ == 0 ? std::string("the rule's channels capture nothing")
                                        : "its patterns have only " + std::to_string(captures_) +
                                              " wildcard(s)") +
                      (outbox   ? ""
                       : rabbit ? " ({0} is the routing key)"
                       : nats   ? " ({0} is the whole subject)"
                                : " ({0} is the whole Redis channel)"));
    }
    if (t->segments().empty()) fail(field, "must not be empty");
  }

  void check_delivery() {
    switch (rule_.target) {
      case IngressTargetKind::channel:
        if (rule_.channel.empty()) fail("channel", "is required with target = \"channel\"");
        if (!rule_.user.empty()) fail("user", "is for target = \"user\"");
        if (!rule_.channel.empty()) check_template("channel", rule_.channel);
        break;
      case IngressTargetKind::user:
        if (rule_.user.empty()) {
          fail("user", "or user_field is required with target = \"user\"");
        } else {
          check_template(table_.contains("user_field") ? "user_field" : "user", rule_.user);
        }
        if (!rule_.channel.empty()) fail("channel", "is for target = \"channel\"");
        break;
      case IngressTargetKind::all:
        if (!rule_.channel.empty()) fail("channel", "is for target = \"channel\"");
        if (!rule_.user.empty()) fail("user", "is for target = \"user\"");
        if (rule_.requires_ack) {
          fail("requires_ack", "needs target = \"channel\" or \"user\": a message to everyone "
                               "is not acknowledged");
        }
        break;
    }
    if (rule_.format == IngressFormat::raw) {
      if (rule_.requires_ack) {
        fail("requires_ack", "needs format = \"envelope\": a raw frame carries no id to "
                             "acknowledge");
      }
      if (!rule_.event.empty()) {
        fail("event", "has no effect with format = \"raw\" (clients get the message as it is)");
      }
    }
  }

  const toml::table& table_;
  std::vector<std::string>& errors_;
  IngressRuleConfig rule_;
  unsigned captures_ = 0;
  bool failed_ = false;
};

}  // namespace

void apply_ingress_tables(const std::string& path, const toml::node& node, Config& config,
                          std::vector<std::string>& errors) {
  const auto* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    errors.push_back("ingress in " + path + ":" + std::to_string(node.source().begin.line) +
                     " must be an array of tables: write each rule as [[ingress]]");
    return;
  }
  std::size_t index = 0;
  for (const auto& element : *array) {
    if (auto rule = RuleReader(path, *element.as_table(), index++, errors).read()) {
      config.ingress.push_back(std::move(*rule));
    }
  }
}

namespace {

// Seed 001's channels, consumed when a Redis address is configured and no rule is written:
// its API server publishes envelopes to ws:conv:<id> and ws:user:<id>.
std::vector<IngressRuleConfig> default_rules() {
  IngressRuleConfig conversations;
  conversations.name = "default-conversations";
  conversations.location = "built-in (ingress_defaults)";
  conversations.patterns = {"ws:conv:*"};
  conversations.target = IngressTargetKind::channel;
  conversations.channel = "conv:{1}";
  IngressRuleConfig users = conversations;
  users.name = "default-users";
  users.patterns = {"ws:user:*"};
  users.target = IngressTargetKind::user;
  users.channel.clear();
  users.user = "{1}";
  return {conversations, users};
}

// NATS servers as the client library takes them: nats://[user:password@]host[:port], several
// comma-separated; why not, or nullopt.
std::optional<std::string> nats_url_problem(std::string_view urls) {
  std::size_t start = 0;
  while (start <= urls.size()) {
    std::size_t comma = urls.find(',', start);
    if (comma == std::string_view::npos) comma = urls.size();
    std::string_view url = urls.substr(start, comma - start);
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ') url.remove_suffix(1);
    if (!url.starts_with("nats://")) {
      return "'" + std::string(url.substr(0, url.find('@') == std::string_view::npos ? url.size() : 0)) +
             "' is not a NATS address: write nats://host[:port] (tls:// is not supported yet)";
    }
    std::string_view rest = url.substr(7);
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (rest.empty() || rest.front() == ':' || rest.find('/') != std::string_view::npos) {
      return "a NATS address names a host and no path: nats://host[:port]";
    }
    start = comma + 1;
  }
  return std::nullopt;
}

// Seed 003's: its posts service queues the client messages themselves, and every client
// receives each one as it is.
IngressRuleConfig default_queue_rule(const std::string& queue) {
  IngressRuleConfig rule;
  rule.name = "default-queue";
  rule.location = "built-in (ingress_defaults)";
  rule.source = IngressSourceKind::rabbitmq;
  rule.queue = queue;
  rule.target = IngressTargetKind::all;
  rule.format = IngressFormat::raw;
  rule.consumers_set = true;
  rule.dedupe_window = std::chrono::milliseconds(0);
  return rule;
}

// A RabbitMQ rule's server and queue: its own, else amqp_url and ingress_queue.
void check_rabbitmq_rule(const Config& config, IngressRuleConfig& rule, const std::string& where,
                         std::vector<std::string>& errors) {
  if (rule.queue.empty()) rule.queue = config.ingress_queue;
  if (rule.queue.empty()) {
    errors.push_back(where + "source = \"rabbitmq\" needs a queue: queue, or ingress_queue "
                     "(QUEUE_NAME)");
  }
  if (!rule.url.empty()) {
    const auto parsed = engine::rabbitmq::parse_amqp_url(rule.url);
    if (!parsed.ok()) errors.push_back(where + "url " + parsed.error);
  } else if (config.amqp_url.empty()) {
    errors.push_back(where + "source = \"rabbitmq\" needs a RabbitMQ address: url, or amqp_url "
                     "(AMQP_URL)");
  }
}

// An outbox rule's server: its own url, else postgres_url. Rules reading one table share its
// claims, so they must agree on its columns and NOTIFY channel.
void check_postgres_rule(const Config& config, std::size_t index, const std::string& where,
                         std::vector<std::string>& errors) {
  const IngressRuleConfig& rule = config.ingress[index];
  const std::string& url = rule.url.empty() ? config.postgres_url : rule.url;
  if (url.empty()) {
    errors.push_back(where + "source = \"postgres\" needs a PostgreSQL address: url, or "
                     "postgres_url (DATABASE_URL, POSTGRES_DSN)");
    return;
  }
  if (!rule.url.empty()) {
    if (auto problem = pg::dsn_problem(rule.url)) errors.push_back(where + "url: " + *problem);
  }
  for (std::size_t j = 0; j < index; ++j) {
    const IngressRuleConfig& other = config.ingress[j];
    if (other.source != IngressSourceKind::postgres || other.table != rule.table ||
        (other.url.empty() ? config.postgres_url : other.url) != url) {
      continue;
    }
    if (other.columns != rule.columns || other.notify != rule.notify) {
      errors.push_back(where + "reads table " + rule.table + " as rule '" + other.name +
                       "' does, with other columns or notify: rules of one table share them");
    }
  }
}

}  // namespace

void check_ingress_rules(Config& config, std::vector<std::string>& errors) {
  if (!config.nats_url.empty()) {
    if (auto problem = nats_url_problem(config.nats_url)) {
      errors.push_back("nats_url: " + *problem);
    }
  }
  if (!config.ingress_redis_url.empty()) {
    const auto shards = engine::redis::resolve_redis_shards(
        config.ingress_redis_url, "", config.redis_password,
        static_cast<int>(config.redis_database));
    if (!shards.ok()) errors.push_back("ingress_redis_url: " + shards.error);
  }
  if (!config.amqp_url.empty()) {
    const auto parsed = engine::rabbitmq::parse_amqp_url(config.amqp_url);
    if (!parsed.ok()) errors.push_back("amqp_url " + parsed.error);
  }
  if (!config.postgres_url.empty()) {
    if (auto problem = pg::dsn_problem(config.postgres_url)) {
      errors.push_back("postgres_url (DATABASE_URL, POSTGRES_DSN): " + *problem);
    }
  }
  if (config.ingress.empty() && config.ingress_defaults) {
    if (config.uses_redis() || !config.ingress_redis_url.empty()) config.ingress = default_rules();
    if (!config.amqp_url.empty() && !config.ingress_queue.empty()) {
      config.ingress.push_back(default_queue_rule(config.ingress_queue));
    }
  }
  // The engine's own Pub/Sub channels: a rule catching them would republish every
  // publication forever.
  const std::string own[] = {config.redis_prefix + "c:x", config.redis_prefix + "n:x"};
  for (std::size_t i = 0; i < config.ingress.size(); ++i) {
    IngressRuleConfig& rule = config.ingress[i];
    const std::string where = "ingress rule '" + rule.name + "' (" + rule.location + "): ";
    for (std::size_t j = 0; j < i; ++j) {
      if (config.ingress[j].name == rule.name) {
        errors.push_back(where + "name '" + rule.name + "' is used by another rule");
      }
    }
    if (!rule.consumers_set) {
      rule.consumers = config.uses_redis() ? IngressConsumers::one : IngressConsumers::every;
    }
    if (rule.enrich.enabled() && rule.enrich.url.empty() && config.postgres_url.empty()) {
      errors.push_back(where + "enrich needs a PostgreSQL address: enrich.url, or postgres_url "
                       "(DATABASE_URL, POSTGRES_DSN)");
    }
    if (rule.source == IngressSourceKind::nats) {
      const std::string& url = !rule.url.empty() ? rule.url : config.nats_url;
      if (url.empty()) {
        errors.push_back(where + "source = \"nats\" needs a NATS address: url, or nats_url "
                         "(NATS_URL)");
      } else if (auto problem = nats_url_problem(url)) {
        errors.push_back(where + "url: " + *problem);
      }
      continue;
    }
    if (rule.source == IngressSourceKind::rabbitmq) {
      check_rabbitmq_rule(config, rule, where, errors);
      continue;
    }
    if (rule.source == IngressSourceKind::postgres) {
      check_postgres_rule(config, i, where, errors);
      continue;
    }
    const std::string& url = !rule.url.empty() ? rule.url : config.ingress_redis_url;
    if (!url.empty()) {
      const auto shards = engine::redis::resolve_redis_shards(
          url, "", config.redis_password, static_cast<int>(config.redis_database));
      if (!shards.ok()) errors.push_back(where + "url: " + shards.error);
      continue;
    }
    if (!config.uses_redis()) {
      errors.push_back(where + "source = \"redis\" needs a Redis address: url, "
                       "ingress_redis_url, or the engine's redis_url / redis_host");
      continue;
    }
    for (const auto& text : rule.patterns) {
      std::string error;
      auto pattern = ingress::GlobPattern::parse(text, error);
      if (!pattern) continue;
      for (const auto& name : own) {
        if (pattern->match(name)) {
          errors.push_back(where + "patterns '" + text + "' matches the engine's own channels (" +
                           config.redis_prefix + "…): narrow it, or change redis_prefix");
          break;
        }
      }
    }
  }
}

}  // namespace switchboard::config
