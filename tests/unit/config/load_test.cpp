// config::load(): defaults, the precedence of flags > environment > file, aliases, --help.
#include <functional>
#include <thread>

#include "load_harness.hpp"
#include "switchboard/config/option_info.hpp"

namespace switchboard::config::test {
namespace {

using namespace std::chrono_literals;

TEST_F(LoadTest, DefaultsWithoutFlagsEnvironmentOrFile) {
  const auto result = run_load({});
  ASSERT_TRUE(result.config) << result.message;
  const Config& c = *result.config;
  const Config defaults;
  EXPECT_EQ(c.bind_address, "0.0.0.0");
  EXPECT_EQ(c.port, 8081);  // seed 001's port
  EXPECT_EQ(c.ws_path, "/ws");
  EXPECT_EQ(c.max_message_size, 8192U);  // seed 001: 8 KB
  EXPECT_EQ(c.idle_timeout, 60s);        // seed 001: 60 s
  EXPECT_EQ(c.max_request_size, defaults.max_request_size);
  EXPECT_EQ(c.max_body_size, defaults.max_body_size);
  EXPECT_EQ(c.outbound_queue_limit, defaults.outbound_queue_limit);
  EXPECT_EQ(c.handshake_timeout, defaults.handshake_timeout);
  EXPECT_EQ(c.ping_interval, defaults.ping_interval);
  EXPECT_EQ(c.drain_period, defaults.drain_period);
  EXPECT_TRUE(c.allowed_origins.empty());
  EXPECT_TRUE(c.subprotocols.empty());
  EXPECT_FALSE(c.deflate);
  EXPECT_EQ(c.deflate_min_size, defaults.deflate_min_size);
  EXPECT_FALSE(c.echo);
  EXPECT_FALSE(c.broadcast);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, LogFormat::console);
  EXPECT_EQ(c.config_file, "");
}

TEST_F(LoadTest, NullEnvironmentMeansEmpty) {
  const char* argv[] = {"switchboard", nullptr};
  const auto result = load(1, argv, nullptr);
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 8081);
}

TEST_F(LoadTest, ZeroWorkersResolvesToHardwareConcurrency) {
  const auto result = run_load({"--workers", "0"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->workers, std::max(1U, std::thread::hardware_concurrency()));
  const auto explicit_workers = run_load({"--workers=3"});
  ASSERT_TRUE(explicit_workers.config) << explicit_workers.message;
  EXPECT_EQ(explicit_workers.config->workers, 3U);
}

// One option of each type, set in every layer with a different value; each layer added on top
// must win over the ones below it.
struct PrecedenceCase {
  std::string name;  // option name (TOML key)
  std::string file;  // TOML literal
  std::string env;   // environment text
  std::string flag;  // flag text
  std::function<std::string(const Config&)> show;
  std::string from_default, from_file, from_env, from_flag;
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ";";
  return out;
}

const PrecedenceCase kPrecedenceCases[] = {
    {"echo", "true", "false", "true",
     [](const Config& c) { return std::string(c.echo ? "true" : "false"); }, "false", "true",
     "false", "true"},
    {"port", "9001", "9002", "9003", [](const Config& c) { return std::to_string(c.port); }, "8081",
     "9001", "9002", "9003"},
    {"max_message_size", "16384", "32KiB", "1MiB",
     [](const Config& c) { return std::to_string(c.max_message_size); }, "8192", "16384", "32768",
     "1048576"},
    // (each above the default ping_interval of 30 s, which an idle timeout must outlast)
    {"idle_timeout", "45000", "50s", "2m",
     [](const Config& c) { return std::to_string(c.idle_timeout.count()); }, "60000", "45000",
     "50000", "120000"},
    {"ws_path", "\"/file\"", "/env", "/flag", [](const Config& c) { return c.ws_path; }, "/ws",
     "/file", "/env", "/flag"},
    {"allowed_origins", "[\"https://a\", \"https://b\"]", "https://c, https://d", "https://e",
     [](const Config& c) { return join(c.allowed_origins); }, "", "https://a;https://b;",
     "https://c;https://d;", "https://e;"},
    {"log_format", "\"json\"", "console", "json",
     [](const Config& c) {
       return std::string(c.log_format == LogFormat::json ? "json" : "console");
     },
     "console", "json", "console", "json"},
    {"log_level", "\"debug\"", "warn", "error", [](const Config& c) { return c.log_level; }, "info",
     "debug", "warn", "error"},
};

class PrecedenceTest : public LoadTest, public ::testing::WithParamInterface<PrecedenceCase> {
 protected:
  static std::string flag(const std::string& name) {
    std::string f = "--" + name;
    for (char& ch : f) ch = ch == '_' ? '-' : ch;
    return f;
  }
  static std::string env(const std::string& name, const std::string& value) {
    std::string e = "SWITCHBOARD_" + name;
    for (char& ch : e) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return e + "=" + value;
  }
  std::string shown(const LoadResult& result) {
    EXPECT_TRUE(result.config) << result.message;
    return result.config ? GetParam().show(*result.config) : "<no config>";
  }
};

TEST_P(PrecedenceTest, FlagsOverEnvironmentOverFileOverDefaults) {
  const auto& p = GetParam();
  const std::string path = write_file("switchboard.toml", p.name + " = " + p.file + "\n");
  const std::string with_config = "--config=" + path;
  EXPECT_EQ(shown(run_load({})), p.from_default);
  EXPECT_EQ(shown(run_load({with_config})), p.from_file);
  EXPECT_EQ(shown(run_load({with_config}, {env(p.name, p.env)})), p.from_env);
  EXPECT_EQ(shown(run_load({with_config, flag(p.name) + "=" + p.flag}, {env(p.name, p.env)})),
            p.from_flag);
  // Without the file the environment still loses to the flag.
  EXPECT_EQ(shown(run_load({flag(p.name) + "=" + p.flag}, {env(p.name, p.env)})), p.from_flag);
}

INSTANTIATE_TEST_SUITE_P(EachType, PrecedenceTest, ::testing::ValuesIn(kPrecedenceCases),
                         [](const auto& test_info) { return test_info.param.name; });

TEST_F(LoadTest, ConfigFileNamedByEnvironment) {
  const std::string path = write_file("env.toml", "port = 7000\nbind_address = \"127.0.0.1\"\n");
  const auto result = run_load({}, {"SWITCHBOARD_CONFIG=" + path});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 7000);
  EXPECT_EQ(result.config->bind_address, "127.0.0.1");
  EXPECT_EQ(result.config->config_file, path);
}

TEST_F(LoadTest, ConfigFlagWinsOverConfigEnvironment) {
  const std::string from_flag = write_file("flag.toml", "port = 7001\n");
  const std::string from_env = write_file("env.toml", "port = 7002\n");
  const auto result = run_load({"--config", from_flag}, {"SWITCHBOARD_CONFIG=" + from_env});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 7001);
}

TEST_F(LoadTest, FileAcceptsTextForSizesDurationsAndLists) {
  const std::string path = write_file("text.toml",
                                      "max_body_size = \"2MiB\"\n"
                                      "ping_interval = \"10s\"\n"
                                      "subprotocols = \"a, b\"\n"
                                      "deflate = true\n"
                                      "deflate_min_size = 0\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->max_body_size, 2U * 1024 * 1024);
  EXPECT_EQ(result.config->ping_interval, 10s);
  EXPECT_EQ(result.config->subprotocols, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(result.config->deflate);
  EXPECT_EQ(result.config->deflate_min_size, 0U);
}

TEST_F(LoadTest, SeedAliases) {
  const auto result =
      run_load({}, {"WSGATEWAY_PORT=9100", "LOGGER_LEVEL=debug", "LOGGER_ENCODING=json"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 9100);
  EXPECT_EQ(result.config->log_level, "debug");
  EXPECT_EQ(result.config->log_format, LogFormat::json);
}

// Seed 002's CORS_ORIGIN (its Socket.IO server's cors origin) is allowed_origins.
TEST_F(LoadTest, Seed002CorsOriginIsAllowedOrigins) {
  const auto result = run_load({}, {"CORS_ORIGIN=http://localhost:3000"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->allowed_origins, (std::vector<std::string>{"http://localhost:3000"}));
}

TEST_F(LoadTest, CanonicalEnvironmentNameWinsOverAlias) {
  const auto result = run_load({}, {"WSGATEWAY_PORT=9100", "SWITCHBOARD_PORT=9200"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 9200);
}

TEST_F(LoadTest, FlagWinsOverAlias) {
  const auto result = run_load({"--port", "9300"}, {"WSGATEWAY_PORT=9100"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 9300);
}

TEST_F(LoadTest, TlsFilesGoTogether) {
  for (const auto& args : {std::vector<std::string>{"--tls-cert-file", "c.pem"},
                           std::vector<std::string>{"--tls-key-file", "k.pem"}}) {
    const auto result = run_load(args);
    EXPECT_EQ(result.exit_code, 2) << args[0];
    EXPECT_NE(result.message.find("tls_cert_file and tls_key_file"), std::string::npos)
        << result.message;
  }
  const auto both = run_load({"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"});
  ASSERT_TRUE(both.config) << both.message;
  EXPECT_EQ(both.config->tls_cert_file, "c.pem");
  EXPECT_EQ(both.config->tls_key_file, "k.pem");
}

TEST_F(LoadTest, ARedisAddressSelectsTheRedisEngine) {
  const auto none = run_load({});
  ASSERT_TRUE(none.config) << none.message;
  EXPECT_FALSE(none.config->uses_redis()) << "the embedded default needs no server";
  // Seed 002's REDIS_URL, seed 001's REDIS_HOST / REDIS_PASSWORD / REDIS_DATABASE.
  const auto seed002 = run_load({}, {"REDIS_URL=redis://:pw@cache:6380/2"});
  ASSERT_TRUE(seed002.config) << seed002.message;
  EXPECT_TRUE(seed002.config->uses_redis());
  EXPECT_EQ(seed002.config->redis_url, "redis://:pw@cache:6380/2");
  const auto seed001 =
      run_load({}, {"REDIS_HOST=cache:6379", "REDIS_PASSWORD=pw", "REDIS_DATABASE=3"});
  ASSERT_TRUE(seed001.config) << seed001.message;
  EXPECT_TRUE(seed001.config->uses_redis());
  EXPECT_EQ(seed001.config->redis_password, "pw");
  EXPECT_EQ(seed001.config->redis_database, 3u);
  // An explicit memory engine wins over an address in the environment.
  const auto memory = run_load({"--engine", "memory"}, {"REDIS_URL=redis://cache"});
  ASSERT_TRUE(memory.config) << memory.message;
  EXPECT_FALSE(memory.config->uses_redis());
}

TEST_F(LoadTest, ARedisAddressThatCannotBeUsedStopsTheServer) {
  const auto bad = run_load({"--redis-url", "redis://:secret@cache:99999"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.message.find("redis_url entry 1"), std::string::npos) << bad.message;
  EXPECT_EQ(bad.message.find("secret"), std::string::npos) << "never print the password";
  const auto tls = run_load({"--redis-url", "rediss://cache:6380"});
  EXPECT_EQ(tls.exit_code, 2) << "no TLS in Debian 12's hiredis";
  const auto both = run_load({"--redis-url", "redis://a", "--redis-host", "b:6379"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.message.find("set one of them"), std::string::npos) << both.message;
  const auto nowhere = run_load({"--engine", "redis"});
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_NE(nowhere.message.find("needs redis_url"), std::string::npos) << nowhere.message;
}

TEST_F(LoadTest, SocketIoNamespacesAndPathAreChecked) {
  const auto bare = run_load({"--socketio", "--socketio-namespaces", "admin"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.message.find("socketio_namespaces entry 'admin' is not a namespace"),
            std::string::npos)
      << bare.message;
  const auto same = run_load({"--socketio", "--socketio-path", "/ws"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.message.find("paths of their own"), std::string::npos) << same.message;
  // Off, the Socket.IO options are not looked at.
  EXPECT_TRUE(run_load({"--socketio-namespaces", "admin"}).config);
  const auto good = run_load({"--socketio", "--socketio-namespaces", "/admin,/chat"});
  ASSERT_TRUE(good.config) << good.message;
  EXPECT_EQ(good.config->socketio_namespaces.size(), 2u);
}

TEST_F(LoadTest, AllowedOriginsMustBeOriginsBrowsersSend) {
  const auto slash = run_load({"--allowed-origins", "https://app.example.com/"});
  EXPECT_EQ(slash.exit_code, 2);
  EXPECT_NE(slash.message.find("allowed_origins entry 'https://app.example.com/'"), std::string::npos)
      << slash.message;
  EXPECT_NE(slash.message.find("write 'https://app.example.com'"), std::string::npos) << slash.message;
  const auto bare = run_load({"--allowed-origins", "app.example.com"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.message.find("is not an origin"), std::string::npos) << bare.message;
  const auto good =
      run_load({"--allowed-origins", "https://app.example.com,http://localhost:3000,null"});
  ASSERT_TRUE(good.config) << good.message;
  EXPECT_EQ(good.config->allowed_origins.size(), 3u);
}

TEST_F(LoadTest, IdleTimeoutMustOutlastThePingInterval) {
  const auto shorter = run_load({"--idle-timeout", "10s", "--ping-interval", "30s"});
  EXPECT_EQ(shorter.exit_code, 2);
  EXPECT_NE(shorter.message.find("idle_timeout (10000ms) must be longer than ping_interval (30000ms)"),
            std::string::npos)
      << shorter.message;
  EXPECT_EQ(run_load({"--idle-timeout", "30s", "--ping-interval", "30s"}).exit_code, 2);
  EXPECT_TRUE(run_load({"--idle-timeout", "31s", "--ping-interval", "30s"}).config);
  // Either one off: nothing to compare.
  EXPECT_TRUE(run_load({"--idle-timeout", "10s", "--ping-interval", "0"}).config);
  EXPECT_TRUE(run_load({"--idle-timeout", "0", "--ping-interval", "30s"}).config);
}

TEST_F(LoadTest, BoolFlagForms) {
  const auto plain = run_load({"--echo", "--broadcast=true"});
  ASSERT_TRUE(plain.config) << plain.message;
  EXPECT_TRUE(plain.config->echo);
  EXPECT_TRUE(plain.config->broadcast);
  const auto off = run_load({"--echo=false"}, {"SWITCHBOARD_ECHO=true"});
  ASSERT_TRUE(off.config) << off.message;
  EXPECT_FALSE(off.config->echo);
}

TEST_F(LoadTest, LastRepeatedFlagWins) {
  const auto result = run_load({"--port", "9001", "--port=9002"});
  ASSERT_TRUE(result.config) << result.message;
  EXPECT_EQ(result.config->port, 9002);
}

TEST_F(LoadTest, HelpListsEveryOptionWithTypeDefaultAndEnvironment) {
  const auto result = run_load({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.config);
  const auto infos = option_infos();
  ASSERT_FALSE(infos.empty());
  for (const auto& info : infos) {
    const std::string synopsis = info.type == "bool" ? info.flag + "[=<bool>]"  // a flag
                                                     : info.flag + " <" + info.type;
    EXPECT_NE(result.message.find(synopsis), std::string::npos) << synopsis;
    EXPECT_NE(result.message.find("default: " + info.default_value), std::string::npos)
        << info.name;
    for (const auto& env : info.env) EXPECT_NE(result.message.find(env), std::string::npos) << env;
  }
  EXPECT_EQ(result.message, help_text());
  EXPECT_EQ(run_load({"-h"}).message, help_text());
}

TEST_F(LoadTest, HelpWinsOverOtherArguments) {
  EXPECT_EQ(run_load({"--port", "abc", "--help", "--no-such-flag"}).exit_code, 0);
}

TEST_F(LoadTest, Version) {
  const auto result = run_load({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.config);
  EXPECT_TRUE(result.message.starts_with("switchboard ")) << result.message;
}

// The table holds exactly the Config fields; a new field needs a table entry (and vice versa).
TEST(OptionTable, OptionsAreTheConfigFields) {
  std::vector<std::string> names;
  for (const auto& info : option_infos()) names.push_back(info.name);
  const std::vector<std::string> expected{
      "bind_address",
      "port",
      "listen",
      "tls_cert_file",
      "tls_key_file",
      "workers",
      "ws_path",
      "socketio",
      "socketio_path",
      "socketio_namespaces",
      "socketio_ping_interval",
      "socketio_ping_timeout",
      "socketio_max_payload",
      "max_message_size",
      "max_request_size",
      "max_body_size",
      "outbound_queue_limit",
      "outbound_queue_grace",
      "outbound_queue_hard_limit",
      "handshake_timeout",
      "ping_interval",
      "idle_timeout",
      "drain_period",
      "allowed_origins",
      "subprotocols",
      "deflate",
      "deflate_min_size",
      "echo",
      "broadcast",
      "static_dir",
      "static_max_age",
      "demo",
      "stats_path",
      "stats_users_limit",
      "jwt_secret",
      "jwt_algorithm",
      "jwt_public_key_file",
      "jwt_issuer",
      "jwt_audience",
      "jwt_leeway",
      "auth_service_url",
      "auth_service_timeout",
      "auth_service_headers",
      "auth_service_ca_file",
      "auth_service_max_in_flight",
      "auth_timeout",
      "allow_anonymous",
      "api_key",
      "max_subscriptions",
      "client_publish",
      "reserved_type_prefixes",
      "public_channels",
      "history_size",
      "history_ttl",
      "presence_ttl",
      "presence_leave_delay",
      "join_leave_events",
      "typing_ttl",
      "snapshot_types",
      "snapshot_ttl",
      "registry_ttl",
      "snapshot_interval",
      "replay_on_subscribe",
      "send_connected",
      "ack_retry_initial",
      "ack_max_attempts",
      "ack_expiry",
      "memory_trim_after",
      "max_pending_acks",
      "offline_max_messages",
      "offline_ttl",
      "upstream_webhook_url",
      "upstream_flush_interval",
      "upstream_webhook_timeout",
      "upstream_batch_size",
      "upstream_buffer_limit",
      "upstream_max_attempts",
      "upstream_sink",
      "upstream_exchange",
      "upstream_topic",
      "upstream_message",
      "upstream_redis_url",
      "upstream_redis_mode",
      "upstream_stream_maxlen",
      "upstream_retry_initial",
      "callout_max_connections",
      "callout_max_queued",
      "client_rate",
      "client_burst",
      "user_rate",
      "user_burst",
      "max_connections_per_user",
      "max_connections_per_ip",
      "max_violations",
      "engine",
      "redis_url",
      "redis_host",
      "redis_password",
      "redis_database",
      "redis_prefix",
      "redis_command_timeout",
      "redis_max_in_flight",
      "broker",
      "broker_prefix",
      "broker_gap_timeout",
      "node_id",
      "ingress_redis_url",
      "nats_url",
      "ingress_defaults",
      "ingress_max_message_size",
      "ingress_max_in_flight",
      "amqp_url",
      "ingress_queue",
      "amqp_heartbeat",
      "broker_timeout",
      "postgres_url",
      "postgres_statement_timeout",
      "postgres_outbox_batch",
      "postgres_pool_size",
      "postgres_poll_interval",
      "log_level",
      "log_format",
      "config"};
  EXPECT_EQ(names, expected);
}

TEST(OptionTable, DerivedNames) {
  for (const auto& info : option_infos()) {
    if (info.name != "max_message_size") continue;
    EXPECT_EQ(info.flag, "--max-message-size");
    EXPECT_EQ(info.env, std::vector<std::string>{"SWITCHBOARD_MAX_MESSAGE_SIZE"});
    EXPECT_EQ(info.type, "size");
    EXPECT_EQ(info.default_value, "8KiB");
    return;
  }
  FAIL() << "max_message_size missing";
}

}  // namespace
}  // namespace switchboard::config::test
