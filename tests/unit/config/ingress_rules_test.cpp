// [[ingress]] tables: what a rule reads into, the defaults (seed 001's rules, seed 003's
// queue), and every
// refusal with exit 2 naming the rule, the file line and the field.
#include "load_harness.hpp"

namespace switchboard::config::test {
namespace {

using namespace std::chrono_literals;

TEST_F(LoadTest, IngressRulesAreRead) {
  const std::string path = write_file("seed002.toml",
                                      "redis_url = \"redis://127.0.0.1:6390\"\n"
                                      "[[ingress]]\n"
                                      "name = \"notifications\"\n"
                                      "source = \"redis\"\n"
                                      "channels = [\"notifications\"]\n"
                                      "target = \"user\"\n"
                                      "user_field = \"user_id\"\n"
                                      "event = \"notification-received\"\n"
                                      "[[ingress]]\n"
                                      "source = \"redis\"\n"
                                      "patterns = [\"posts:*\"]\n"
                                      "target = \"all\"\n"
                                      "format = \"raw\"\n"
                                      "consumers = \"every\"\n"
                                      "dedupe_window = \"5s\"\n"
                                      "batch_interval = 5000\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  const auto& rules = result.config->ingress;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].name, "notifications");
  EXPECT_EQ(rules[0].location, path + ":2");
  EXPECT_EQ(rules[0].channels, std::vector<std::string>{"notifications"});
  EXPECT_EQ(rules[0].target, IngressTargetKind::user);
  EXPECT_EQ(rules[0].user, "{user_id}");
  EXPECT_EQ(rules[0].event, "notification-received");
  EXPECT_EQ(rules[0].format, IngressFormat::envelope);
  // Unset: one consumer on a shared (Redis) engine, with the 2 s window.
  EXPECT_EQ(rules[0].consumers, IngressConsumers::one);
  EXPECT_EQ(rules[0].dedupe_window, 2s);
  EXPECT_EQ(rules[1].name, "ingress[1]");
  EXPECT_EQ(rules[1].patterns, std::vector<std::string>{"posts:*"});
  EXPECT_EQ(rules[1].target, IngressTargetKind::all);
  EXPECT_EQ(rules[1].format, IngressFormat::raw);
  EXPECT_EQ(rules[1].consumers, IngressConsumers::every);
  EXPECT_EQ(rules[1].dedupe_window, 5s);
  EXPECT_EQ(rules[1].batch_interval, 5s);
  EXPECT_EQ(rules[0].batch_interval, 0s);
}

TEST_F(LoadTest, IngressConsumersDefaultToEveryOnTheMemoryEngine) {
  const std::string path = write_file("mem.toml",
                                      "ingress_redis_url = \"redis://127.0.0.1:6390\"\n"
                                      "[[ingress]]\n"
                                      "source = \"redis\"\n"
                                      "channels = [\"news\"]\n"
                                      "target = \"channel\"\n"
                                      "channel = \"news\"\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->ingress.at(0).consumers, IngressConsumers::every);
}

TEST_F(LoadTest, IngressDefaultsAreSeed001sRulesWhenRedisIsConfigured) {
  auto result = run_load({"--redis-host", "127.0.0.1:6390"});
  ASSERT_TRUE(result.config) << result.message;
  const auto& rules = result.config->ingress;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].patterns, std::vector<std::string>{"ws:conv:*"});
  EXPECT_EQ(rules[0].target, IngressTargetKind::channel);
  EXPECT_EQ(rules[0].channel, "conv:{1}");
  EXPECT_EQ(rules[1].patterns, std::vector<std::string>{"ws:user:*"});
  EXPECT_EQ(rules[1].target, IngressTargetKind::user);
  EXPECT_EQ(rules[1].user, "{1}");
  // Off, or without any Redis address: no rule.
  result = run_load({"--redis-host", "127.0.0.1:6390", "--ingress-defaults=false"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_TRUE(result.config->ingress.empty());
  result = run_load({});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_TRUE(result.config->ingress.empty());
  // A rule in the file replaces the defaults.
  const std::string path = write_file("one.toml",
                                      "[[ingress]]\n"
                                      "source = \"redis\"\n"
                                      "channels = [\"news\"]\n"
                                      "target = \"all\"\n");
  result = run_load({"--config", path, "--redis-host", "127.0.0.1:6390"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->ingress.size(), 1u);
}

TEST_F(LoadTest, OutboxRuleDefaultsAndDsnAliases) {
  const std::string path = write_file("outbox.toml",
                                      "[[ingress]]\n"
                                      "source = \"postgres\"\n"
                                      "target = \"channel\"\n"
                                      "channel = \"c:{1}\"\n"
                                      "[[ingress]]\n"
                                      "name = \"b\"\n"
                                      "source = \"postgres\"\n"
                                      "table = \"app.events\"\n"
                                      "columns = { id = \"event_id\", event = \"\" }\n"
                                      "topics = [\"x.*\"]\n"
                                      "target = \"all\"\n");
  for (const char* name : {"DATABASE_URL", "POSTGRES_DSN"}) {
    const auto result = run_load(
        {"--config", path}, {std::string(name) + "=postgres://u:p@h:5432/db?sslmode=disable"});
    ASSERT_TRUE(result.config) << result.message;
    EXPECT_EQ(result.config->postgres_url, "postgres://u:p@h:5432/db?sslmode=disable");
    const auto& rules = result.config->ingress;
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].table, "switchboard_outbox");
    EXPECT_EQ(rules[0].notify, "switchboard_outbox");
    EXPECT_EQ(rules[0].topics, std::vector<std::string>{"*"});
    EXPECT_EQ(rules[0].columns, OutboxColumns{});
    EXPECT_EQ(rules[0].consumers, IngressConsumers::one);
    EXPECT_EQ(rules[1].notify, "events");
    EXPECT_EQ(rules[1].columns.id, "event_id");
    EXPECT_EQ(rules[1].columns.event, "");
    EXPECT_EQ(rules[1].columns.payload, "payload");
  }
  const std::string seed = std::string(SWITCHBOARD_SOURCE_DIR) + "/examples/seeds/003-enrich.toml";
  const auto enrich = run_load({"--config", seed, "--ingress-queue", "posts"});
  ASSERT_TRUE(enrich.config) << enrich.message;
  const auto& e = enrich.config->ingress.at(0).enrich;
  EXPECT_EQ(e.key, "payload.id");
  EXPECT_EQ(e.into, "payload");
  EXPECT_FALSE(e.deliver_missing);
  EXPECT_EQ(e.max_attempts, 10u);
  EXPECT_NE(e.query.find("WHERE p.id = ANY($1::bigint[])"), std::string::npos);
  const auto bad = run_load({}, {"DATABASE_URL=mysql://x"});
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.message.find("postgres_url (DATABASE_URL, POSTGRES_DSN): missing \"=\""),
            std::string::npos)
      << bad.message;
}

struct Refusal {
  const char* rule;       // the [[ingress]] body
  const char* expected;   // a part of the message
};

class IngressRefusalTest : public LoadTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(IngressRefusalTest, ExitsWith2NamingRuleLineAndField) {
  const std::string path =
      write_file("bad.toml", std::string("redis_url = \"redis://127.0.0.1:6390\"\n"
                                         "\n[[ingress]]\nname = \"r\"\n") +
                                 GetParam().rule);
  const auto result = run_load({"--config", path});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("ingress rule 'r' (" + path + ":3)"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find(GetParam().expected), std::string::npos) << result.message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, IngressRefusalTest,
    ::testing::Values(
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\n", "target is required"},
        Refusal{"channels = [\"a\"]\ntarget = \"all\"\n", "source is required"},
        Refusal{"source = \"kafka\"\nchannels = [\"a\"]\ntarget = \"all\"\n",
                "source 'kafka' is not one of: redis, nats, rabbitmq, postgres"},
        Refusal{"source = \"postgres\"\ntarget = \"all\"\n",
                "source = \"postgres\" needs a PostgreSQL address: url, or postgres_url"},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db?nosuch=1\"\ntarget = \"all\"\n",
                "url: invalid URI query parameter: \"nosuch\""},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\ntable = \"a.\"\ntarget = \"all\"\n",
                "table must be [schema.]name"},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\ncolumns = { idx = \"a\" }\n"
                "target = \"all\"\n",
                "columns has no column 'idx'"},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\nconsumers = \"every\"\n"
                "target = \"all\"\n",
                "consumers \"every\" does not apply to an outbox"},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\nbatch_interval = \"5s\"\n"
                "target = \"all\"\n",
                "batch_interval does not apply to source = \"postgres\""},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\ntopics = [\"ws:*\"]\n"
                "target = \"channel\"\nchannel = \"c:{2}\"\n",
                "its topics have only 1 wildcard(s) ({0} is the row's topic)"},
        Refusal{"source = \"postgres\"\nurl = \"postgres://h/db\"\nqueue = \"q\"\ntarget = \"all\"\n",
                "queue is a field of source = \"rabbitmq\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT 1\", key = \"id\", url = \"postgres://h/db\" }\n",
                "enrich query is required and takes the batch's keys as $1"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT $1\", url = \"postgres://h/db\" }\n",
                "enrich key is required"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT $1\", key = \"id\", missing = \"drop\", url = \"postgres://h/db\" }\n",
                "enrich missing 'drop' is not one of: skip, deliver"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT $1\", key = \"id\", as = \"payload\", url = \"postgres://h/db\" }\n",
                "enrich has no field 'as'"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT $1\", key = \"id\", max_attempts = 0, url = \"postgres://h/db\" }\n",
                "enrich max_attempts must be an integer from 1 to 1000"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "enrich = { query = \"SELECT $1\", key = \"id\" }\n",
                "enrich needs a PostgreSQL address: enrich.url, or postgres_url"},
        Refusal{"source = \"nats\"\ntarget = \"all\"\n", "subjects is required"},
        Refusal{"source = \"nats\"\nsubjects = [\"a.>.b\"]\ntarget = \"all\"\n",
                "'>' must be the last token"},
        Refusal{"source = \"nats\"\nsubjects = [\"a.*\"]\ntarget = \"channel\"\n"
                "channel = \"c:{2}\"\n",
                "its subjects have only 1 wildcard(s)"},
        Refusal{"source = \"nats\"\nsubjects = [\"a\"]\nchannels = [\"a\"]\ntarget = \"all\"\n",
                "channels is a field of source = \"redis\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\nqueue_group = \"g\"\ntarget = \"all\"\n",
                "queue_group is a field of source = \"nats\""},
        Refusal{"source = \"nats\"\nsubjects = [\"a\"]\ntarget = \"all\"\n",
                "needs a NATS address"},
        Refusal{"source = \"nats\"\nsubjects = [\"a\"]\ntarget = \"all\"\nurl = \"http://h\"\n",
                "is not a NATS address"},
        Refusal{"source = \"redis\"\ntarget = \"all\"\n", "channels or patterns is required"},
        Refusal{"source = \"redis\"\nchannels = []\ntarget = \"all\"\n",
                "channels must be a non-empty array"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\nqueue = \"q\"\n",
                "queue is a field of source = \"rabbitmq\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\nqueues = \"q\"\n",
                "queues is not a field of an ingress rule"},
        // RabbitMQ rules (this file has no amqp_url: the address refusal comes too).
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nchannels = [\"a\"]\ntarget = \"all\"\n",
                "channels is a field of source = \"redis\""},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\ntarget = \"all\"\n",
                "source = \"rabbitmq\" needs a RabbitMQ address: url, or amqp_url (AMQP_URL)"},
        Refusal{"source = \"rabbitmq\"\nurl = \"amqp://h\"\ntarget = \"all\"\n",
                "needs a queue: queue, or ingress_queue (QUEUE_NAME)"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nurl = \"amqps://u:pw@h/\"\ntarget = \"all\"\n",
                "url 'amqps://u:***@h/': TLS (amqps://) is not supported yet"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\ndeclare = \"maybe\"\ntarget = \"all\"\n",
                "declare 'maybe' is not one of: auto, passive, create"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nbindings = [\"a.*\"]\ntarget = \"all\"\n",
                "bindings needs exchange"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nexchange_type = \"fanout\"\ntarget = \"all\"\n",
                "exchange_type needs exchange"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nexchange = \"x\"\nexchange_type = \"headers\"\n"
                "target = \"all\"\n",
                "exchange_type 'headers' is not one of: topic, direct, fanout"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nexchange = \"x\"\nexchange_type = \"direct\"\n"
                "target = \"all\"\n",
                "bindings is required with exchange_type = \"direct\""},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nprefetch = 0\ntarget = \"all\"\n",
                "prefetch must be an integer from 1 to 65535"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nconsumers = \"every\"\ntarget = \"all\"\n",
                "consumers \"every\" needs exchange: each node consumes a queue of its own"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\ntarget = \"channel\"\nchannel = \"c:{1}\"\n",
                "a queue's messages capture nothing ({0} is the routing key)"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nexchange = \"x\"\n"
                "bindings = [\"room.*\", \"all.#\"]\ntarget = \"channel\"\nchannel = \"c:{1}{2}\"\n",
                "its bindings have only 1 wildcard(s) ({0} is the routing key)"},
        Refusal{"source = \"rabbitmq\"\nqueue = \"q\"\nexchange = \"x\"\nexchange_type = \"direct\"\n"
                "bindings = [\"room.*\"]\ntarget = \"channel\"\nchannel = \"c:{1}\"\n",
                "a queue's messages capture nothing ({0} is the routing key)"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"room\"\n",
                "target 'room' is not one of: channel, user, all"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"channel\"\n",
                "channel is required with target = \"channel\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"user\"\n",
                "user or user_field is required"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"user\"\nuser = \"{1}\"\n"
                "user_field = \"id\"\n",
                "user_field and user exclude each other"},
        Refusal{"source = \"redis\"\npatterns = [\"ws:*\"]\ntarget = \"channel\"\n"
                "channel = \"conv:{2}\"\n",
                "uses {2}, but its patterns have only 1 wildcard(s)"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"channel\"\n"
                "channel = \"c:{1}\"\n",
                "the rule's channels capture nothing"},
        Refusal{"source = \"redis\"\npatterns = [\"ws:*\"]\ntarget = \"channel\"\n"
                "channel = \"c:{1\"\n",
                "unclosed '{'"},
        Refusal{"source = \"redis\"\npatterns = [\"ws:[ab\"]\ntarget = \"all\"\n",
                "unclosed '['"},
        Refusal{"source = \"redis\"\npatterns = [\"ws:*\"]\ntarget = \"channel\"\n"
                "channel = \"c:{a..b}\"\n",
                "is neither a capture"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\nrequires_ack = true\n",
                "requires_ack needs target"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"user\"\nuser = \"u\"\n"
                "format = \"raw\"\nrequires_ack = true\n",
                "requires_ack needs format = \"envelope\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\nformat = \"raw\"\n"
                "event = \"e\"\n",
                "event has no effect with format = \"raw\""},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "dedupe_window = \"2 days\"\n",
                "dedupe_window must be a duration"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "batch_interval = \"2h\"\n",
                "batch_interval must be a duration from 0 to 1h"},
        Refusal{"source = \"redis\"\nchannels = [\"a\"]\ntarget = \"all\"\n"
                "url = \"http://x\"\n",
                "url: "},
        // The engine's own Pub/Sub channels (switchboard:c:<channel>) would loop forever.
        Refusal{"source = \"redis\"\npatterns = [\"switchboard:*\"]\ntarget = \"all\"\n",
                "matches the engine's own channels"}));

TEST_F(LoadTest, NatsRulesAreRead) {
  const std::string path = write_file("nats.toml",
                                      "nats_url = \"nats://127.0.0.1:4333\"\n"
                                      "[[ingress]]\n"
                                      "name = \"orders\"\n"
                                      "source = \"nats\"\n"
                                      "subjects = [\"orders.*\", \"legacy.*\"]\n"
                                      "queue_group = \"g\"\n"
                                      "target = \"channel\"\n"
                                      "channel = \"orders:{1}\"\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  const auto& rule = result.config->ingress.at(0);
  EXPECT_EQ(rule.source, IngressSourceKind::nats);
  EXPECT_EQ(rule.subjects, (std::vector<std::string>{"orders.*", "legacy.*"}));
  EXPECT_EQ(rule.queue_group, "g");
  // A queue group hands each message to one node already: no idempotency window by default.
  EXPECT_EQ(rule.dedupe_window, 0s);
  EXPECT_EQ(result.config->nats_url, "nats://127.0.0.1:4333");
  // NATS_URL, as the environment names it.
  const auto env = run_load({"--config", path}, {"NATS_URL=nats://a:1,nats://b:2"});
  ASSERT_TRUE(env.config) << env.message;
  EXPECT_EQ(env.config->nats_url, "nats://a:1,nats://b:2");
}

TEST_F(LoadTest, UpstreamBrokerSinks) {
  auto result = run_load({"--upstream-sink", "redis", "--redis-host", "127.0.0.1:6390",
                          "--upstream-redis-mode", "stream", "--upstream-topic", "up:{type}"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->upstream_sink, "redis");
  EXPECT_EQ(result.config->upstream_redis_mode, "stream");
  EXPECT_EQ(result.config->upstream_topic, "up:{type}");
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--upstream-sink", "nats"}, "upstream_sink = nats needs nats_url"},
           {{"--upstream-sink", "rabbitmq"}, "upstream_sink = rabbitmq needs amqp_url (AMQP_URL)"},
           {{"--upstream-sink", "rabbitmq", "--amqp-url", "amqp://h/", "--upstream-exchange", ""},
            "upstream_sink = rabbitmq needs upstream_exchange"},
           {{"--upstream-sink", "rabbitmq", "--amqp-url", "amqps://h/"},
            "TLS (amqps://) is not supported yet"},
           {{"--upstream-sink", "rabbitmq", "--amqp-url", "amqp://h/", "--upstream-message", "batch"},
            "names a field of one event"},
           {{"--upstream-sink", "redis"}, "upstream_sink = redis needs a Redis address"},
           {{"--upstream-sink", "webhook"}, "upstream_sink = webhook needs upstream_webhook_url"},
           {{"--upstream-sink", "nats", "--nats-url", "nats://h:1", "--upstream-topic", "e.{1}"},
            "a topic takes {type}, {channel}, {user_id} and {node} only"},
           {{"--upstream-sink", "nats", "--nats-url", "nats://h:1", "--upstream-message", "batch"},
            "names a field of one event"},
           {{"--upstream-sink", "redis", "--upstream-redis-url", "http://h"}, "redis://"},
           {{"--upstream-sink", "nats", "--nats-url", "nats://h:1", "--upstream-webhook-url",
             "http://h/x"},
            "batches go to one sink"}}) {
    result = run_load(args);
    EXPECT_EQ(result.exit_code, 2) << expected;
    EXPECT_NE(result.message.find(expected), std::string::npos) << result.message;
  }
}

TEST_F(LoadTest, RelayBrokersNeedTheRedisEngineAndTheirServer) {
  auto result = run_load({"--broker", "rabbitmq", "--redis-host", "127.0.0.1:6390",
                          "--amqp-url", "amqp://h/", "--broker-prefix", "tutora",
                          "--broker-gap-timeout", "250ms"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->broker, "rabbitmq");
  EXPECT_EQ(result.config->broker_prefix, "tutora");
  EXPECT_EQ(result.config->broker_gap_timeout, std::chrono::milliseconds(250));
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--broker", "rabbitmq", "--amqp-url", "amqp://h/"},
            "broker = rabbitmq needs engine = redis"},
           {{"--broker", "nats", "--nats-url", "nats://h:1"}, "broker = nats needs engine = redis"},
           {{"--broker", "rabbitmq", "--redis-host", "h:1"}, "broker = rabbitmq needs amqp_url"},
           {{"--broker", "nats", "--redis-host", "h:1"}, "broker = nats needs nats_url"},
           {{"--broker", "redis"}, "broker = redis needs engine = redis"},
           {{"--broker", "nats", "--redis-host", "h:1", "--nats-url", "nats://h:1",
             "--broker-prefix", ""},
            "broker_prefix must not be empty"},
           {{"--broker", "rabbitmq", "--redis-host", "h:1", "--amqp-url", "amqp://h/",
             "--broker-prefix", "amq.mine"},
            "broker_prefix: the prefix must be 1 to 200 bytes and not start with 'amq.'"},
           {{"--broker", "nats", "--redis-host", "h:1", "--nats-url", "nats://h:1",
             "--broker-prefix", "sb.*"},
            "broker_prefix: "},
           {{"--broker", "kafka"}, "broker"}}) {
    result = run_load(args);
    EXPECT_EQ(result.exit_code, 2) << expected;
    EXPECT_NE(result.message.find(expected), std::string::npos) << result.message;
  }
}

TEST_F(LoadTest, IngressRabbitMqRulesAreRead) {
  const std::string path = write_file("rabbit.toml",
                                      "amqp_url = \"amqp://guest:guest@127.0.0.1:5672/\"\n"
                                      "[[ingress]]\n"
                                      "name = \"posts\"\n"
                                      "source = \"rabbitmq\"\n"
                                      "target = \"all\"\n"
                                      "format = \"raw\"\n"
                                      "prefetch = 1000\n"
                                      "[[ingress]]\n"
                                      "name = \"events\"\n"
                                      "source = \"rabbitmq\"\n"
                                      "url = \"amqp://other:5673/prod\"\n"
                                      "queue = \"ws-events\"\n"
                                      "declare = \"create\"\n"
                                      "durable = false\n"
                                      "dead_letter_exchange = \"dlx\"\n"
                                      "dedupe_window = \"1m\"\n"
                                      "exchange = \"events\"\n"
                                      "target = \"channel\"\n"
                                      "channel = \"ev:{0}\"\n"
                                      "[[ingress]]\n"
                                      "name = \"news\"\n"
                                      "source = \"rabbitmq\"\n"
                                      "exchange = \"news\"\n"
                                      "consumers = \"every\"\n"
                                      "target = \"all\"\n");
  const auto result = run_load({"--config", path}, {"QUEUE_NAME=posts-queue"});
  ASSERT_TRUE(result.config) << result.message;
  const auto& rules = result.config->ingress;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].source, IngressSourceKind::rabbitmq);
  EXPECT_EQ(rules[0].queue, "posts-queue");  // from ingress_queue (QUEUE_NAME)
  EXPECT_EQ(rules[0].declare, IngressDeclare::automatic);
  EXPECT_TRUE(rules[0].durable);
  EXPECT_EQ(rules[0].prefetch, 1000u);
  EXPECT_TRUE(rules[0].exchange.empty());
  EXPECT_TRUE(rules[0].bindings.empty());
  // Competing consumers, no idempotency key (a queue's equal bodies are distinct messages).
  EXPECT_EQ(rules[0].consumers, IngressConsumers::one);
  EXPECT_EQ(rules[0].dedupe_window, 0s);
  EXPECT_EQ(rules[1].queue, "ws-events");
  EXPECT_EQ(rules[1].url, "amqp://other:5673/prod");
  EXPECT_EQ(rules[1].declare, IngressDeclare::create);
  EXPECT_FALSE(rules[1].durable);
  EXPECT_EQ(rules[1].dead_letter_exchange, "dlx");
  EXPECT_EQ(rules[1].exchange_type, "topic");
  EXPECT_EQ(rules[1].bindings, std::vector<std::string>{"#"});  // a topic exchange: everything
  EXPECT_EQ(rules[1].prefetch, 256u);
  EXPECT_EQ(rules[1].dedupe_window, 60s);  // by message_id (docs/ingress.md)
  // With an exchange: a queue of each node's own (<queue>.<node_id>, ingress.cpp).
  EXPECT_EQ(rules[2].consumers, IngressConsumers::every);
  EXPECT_EQ(rules[2].queue, "posts-queue");
}

TEST_F(LoadTest, UpstreamToRabbitMqTakesAmqpUrlAndTheExchange) {
  auto result = run_load({"--upstream-sink", "rabbitmq", "--upstream-exchange", "tutora.ws.events"},
                         {"AMQP_URL=amqp://guest:guest@127.0.0.1:5672/"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->upstream_sink, "rabbitmq");
  EXPECT_EQ(result.config->upstream_exchange, "tutora.ws.events");
  result = run_load({"--upstream-sink", "rabbitmq", "--amqp-url", "amqp://h/"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->upstream_exchange, "switchboard.events");
}

TEST_F(LoadTest, RabbitMqTopicBindingsCaptureForTheTemplates) {
  const std::string path = write_file("rooms.toml",
                                      "amqp_url = \"amqp://guest:guest@127.0.0.1:5672/\"\n"
                                      "[[ingress]]\n"
                                      "name = \"rooms\"\n"
                                      "source = \"rabbitmq\"\n"
                                      "queue = \"rooms\"\n"
                                      "exchange = \"tutora.ws\"\n"
                                      "bindings = [\"room.*\"]\n"
                                      "target = \"channel\"\n"
                                      "channel = \"room:{1}\"\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->ingress.at(0).channel, "room:{1}");
}

TEST_F(LoadTest, IngressDefaultsConsumeTheQueueOfAmqpUrlAndQueueNameAndBroadcastItRaw) {
  auto result = run_load({}, {"AMQP_URL=amqp://user:password@127.0.0.1:5672/", "QUEUE_NAME=posts"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->amqp_url, "amqp://user:password@127.0.0.1:5672/");
  ASSERT_EQ(result.config->ingress.size(), 1u);
  const auto& rule = result.config->ingress[0];
  EXPECT_EQ(rule.name, "default-queue");
  EXPECT_EQ(rule.source, IngressSourceKind::rabbitmq);
  EXPECT_EQ(rule.queue, "posts");
  EXPECT_EQ(rule.target, IngressTargetKind::all);
  EXPECT_EQ(rule.format, IngressFormat::raw);
  EXPECT_EQ(rule.dedupe_window, 0s);
  // With a Redis engine too, seed 001's two come first; a queue alone is not enough, nor an
  // address alone; ingress_defaults = false turns it off.
  result = run_load({"--redis-host", "127.0.0.1:6390"},
                    {"AMQP_URL=amqp://127.0.0.1", "QUEUE_NAME=posts"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->ingress.size(), 3u);
  for (const auto& env : {std::vector<std::string>{"AMQP_URL=amqp://127.0.0.1"},
                          std::vector<std::string>{"QUEUE_NAME=posts"}}) {
    result = run_load({}, env);
    ASSERT_TRUE(result.config) << result.message;
    EXPECT_TRUE(result.config->ingress.empty());
  }
  result = run_load({"--ingress-defaults=false"}, {"AMQP_URL=amqp://127.0.0.1", "QUEUE_NAME=q"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_TRUE(result.config->ingress.empty());
}

TEST_F(LoadTest, AnAmqpUrlThatCannotBeParsedExitsWith2WithoutThePassword) {
  const auto result = run_load({"--amqp-url", "amqps://u:s3cret@h:5671/"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("amqp_url 'amqps://u:***@h:5671/': TLS (amqps://) is not "
                                "supported yet"),
            std::string::npos)
      << result.message;
  EXPECT_EQ(result.message.find("s3cret"), std::string::npos) << result.message;
}

TEST_F(LoadTest, IngressRuleNamesAreUnique) {
  const std::string path = write_file("twice.toml",
                                      "redis_url = \"redis://127.0.0.1:6390\"\n"
                                      "[[ingress]]\nname = \"x\"\nsource = \"redis\"\n"
                                      "channels = [\"a\"]\ntarget = \"all\"\n"
                                      "[[ingress]]\nname = \"x\"\nsource = \"redis\"\n"
                                      "channels = [\"b\"]\ntarget = \"all\"\n");
  const auto result = run_load({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("name 'x' is used by another rule"), std::string::npos)
      << result.message;
}

TEST_F(LoadTest, IngressRedisRuleNeedsAnAddress) {
  const std::string path = write_file("noaddr.toml",
                                      "[[ingress]]\nsource = \"redis\"\n"
                                      "channels = [\"a\"]\ntarget = \"all\"\n");
  const auto result = run_load({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("needs a Redis address"), std::string::npos) << result.message;
}

TEST_F(LoadTest, IngressMustBeAnArrayOfTables) {
  const std::string path = write_file("flat.toml", "ingress = \"redis\"\n");
  const auto result = run_load({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("write each rule as [[ingress]]"), std::string::npos)
      << result.message;
}

TEST_F(LoadTest, IngressMessageSizeMustFitTheOutboundQueue) {
  const auto result =
      run_load({"--ingress-max-message-size", "1MiB", "--outbound-queue-limit", "1MiB"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("ingress_max_message_size must stay"), std::string::npos)
      << result.message;
}

}  // namespace
}  // namespace switchboard::config::test
