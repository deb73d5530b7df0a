// Every kind of invalid input ends the load with exit code 2 and a message naming the option.
#include "load_harness.hpp"

namespace switchboard::config::test {
namespace {

struct InvalidCase {
  std::string label;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string file;      // TOML content; when set, passed with --config
  std::string expected;  // a part of the message (the option's name and what was expected)
};

const InvalidCase kInvalidCases[] = {
    {"PortNotANumber",
     {"--port", "abc"},
     {},
     "",
     "invalid value 'abc' for --port (SWITCHBOARD_PORT): expected an integer in 1..65535"},
    {"PortZero", {"--port=0"}, {}, "", "'0' for --port"},
    {"PortTooLarge", {"--port=65536"}, {}, "", "'65536' for --port"},
    {"PortNegative", {"--port=-1"}, {}, "", "'-1' for --port"},
    {"PortAliasInvalid",
     {},
     {"WSGATEWAY_PORT=eighty"},
     "",
     "invalid value 'eighty' for WSGATEWAY_PORT (--port): expected an integer in 1..65535"},
    {"PortEnvEmpty", {}, {"SWITCHBOARD_PORT="}, "", "'' for SWITCHBOARD_PORT"},
    {"WorkersAboveMax", {"--workers", "257"}, {}, "", "expected an integer in 0..256"},
    {"SizeBelowMin",
     {"--max-message-size", "100"},
     {},
     "",
     "'100' for --max-message-size (SWITCHBOARD_MAX_MESSAGE_SIZE): expected a size"},
    {"SizeBadUnit", {"--max-body-size=8XB"}, {}, "", "'8XB' for --max-body-size"},
    {"SizeFraction", {"--max-body-size=1.5MiB"}, {}, "", "'1.5MiB' for --max-body-size"},
    {"SizeOverflow", {"--max-body-size=99999999999999999999"}, {}, "", "for --max-body-size"},
    {"QueueBelowFourKiB",
     {},
     {"SWITCHBOARD_OUTBOUND_QUEUE_LIMIT=1KiB"},
     "",
     "'1KiB' for SWITCHBOARD_OUTBOUND_QUEUE_LIMIT (--outbound-queue-limit): expected a size "
     "such as 4096, 8KiB or 1MiB in 4KiB..1GiB"},
    {"DurationBadUnit",
     {"--idle-timeout", "5x"},
     {},
     "",
     "'5x' for --idle-timeout (SWITCHBOARD_IDLE_TIMEOUT): expected a duration"},
    {"DurationFraction", {"--idle-timeout=1.5s"}, {}, "", "'1.5s' for --idle-timeout"},
    {"DurationAboveMax", {"--drain-period=11m"}, {}, "", "in 0..10m"},
    {"HandshakeTimeoutZero", {"--handshake-timeout=0"}, {}, "", "'0' for --handshake-timeout"},
    {"BoolNotABool",
     {"--echo=maybe"},
     {},
     "",
     "invalid value 'maybe' for --echo (SWITCHBOARD_ECHO): expected true or false"},
    {"BoolEnvNotABool", {}, {"SWITCHBOARD_DEFLATE=2"}, "", "'2' for SWITCHBOARD_DEFLATE"},
    {"EnumUnknownLevel",
     {"--log-level", "verbose"},
     {},
     "",
     "'verbose' for --log-level (SWITCHBOARD_LOG_LEVEL): expected one of "
     "trace|debug|info|warn|error|critical|off"},
    {"EnumAliasUnknown",
     {},
     {"LOGGER_ENCODING=xml"},
     "",
     "'xml' for LOGGER_ENCODING (--log-format): expected one of console|json"},
    {"PathWithoutSlash", {"--ws-path=ws"}, {}, "", "'ws' for --ws-path"},
    {"FileNumberAsText", {}, {}, "port = \"abc\"\n", "'abc' for port in "},
    {"FileFloat", {}, {}, "port = 80.5\n", "'80.5' for port in "},
    {"FileNegativeSize", {}, {}, "max_message_size = -5\n", "'-5' for max_message_size in "},
    {"FileListOfNumbers", {}, {}, "allowed_origins = [1, 2]\n", "for allowed_origins in "},
    {"FileBoolAsNumber", {}, {}, "echo = 1\n", "'1' for echo in "},
    {"FileStringAsBool", {}, {}, "ws_path = true\n", "'true' for ws_path in "},
    {"FileTable", {}, {}, "[port]\nvalue = 1\n", "for port in "},
    {"FileUnknownKey", {}, {}, "port = 9000\nno_such_option = 1\n", "unknown key 'no_such_option'"},
    {"FileConfigKey", {}, {}, "config = \"other.toml\"\n", "unknown key 'config'"},
    {"FileSyntaxError", {}, {}, "port = = 1\n", "cannot load config file"},
    {"FileMissing",
     {"--config=/nonexistent/switchboard.toml"},
     {},
     "",
     "cannot load config file /nonexistent/switchboard.toml"},
    {"UnknownFlag", {"--no-such-flag"}, {}, "", "unknown argument '--no-such-flag'"},
    {"Positional", {"serve"}, {}, "", "unknown argument 'serve'"},
    {"FlagWithoutValue", {"--port"}, {}, "", "--port"},
};

class InvalidValueTest : public LoadTest, public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(InvalidValueTest, ExitsWithCodeTwoNamingTheOption) {
  const auto& p = GetParam();
  auto args = p.args;
  if (!p.file.empty()) args.push_back("--config=" + write_file("bad.toml", p.file));
  const auto result = run_load(args, p.env);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(result.config);
  EXPECT_NE(result.message.find(p.expected), std::string::npos)
      << "message: " << result.message << "\nexpected to contain: " << p.expected;
  EXPECT_TRUE(result.message.starts_with("switchboard: ")) << result.message;
}

INSTANTIATE_TEST_SUITE_P(EachKind, InvalidValueTest, ::testing::ValuesIn(kInvalidCases),
                         [](const auto& test_info) { return test_info.param.label; });

TEST_F(LoadTest, FileErrorsNameTheLine) {
  const std::string path = write_file("lines.toml", "port = 9000\n\nworkers = 999\n");
  const auto result = run_load({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("for workers in " + path + ":3 (--workers)"), std::string::npos)
      << result.message;
}

TEST_F(LoadTest, EveryProblemIsReportedAtOnce) {
  const std::string path = write_file("two.toml", "port = 0\nbogus = 1\n");
  const auto result =
      run_load({"--config", path, "--echo=perhaps"}, {"SWITCHBOARD_IDLE_TIMEOUT=soon"});
  EXPECT_EQ(result.exit_code, 2);
  for (const char* part : {"for port in", "unknown key 'bogus'",
                           "'soon' for SWITCHBOARD_IDLE_TIMEOUT", "'perhaps' for --echo"}) {
    EXPECT_NE(result.message.find(part), std::string::npos) << part << "\n" << result.message;
  }
}

TEST(StatsPath, ARouteOfTheGatewaysOwnIsRefused) {
  for (const char* path : {"/", "/health", "/ready", "/ws", "/api/publish", "/api", "/demo/token"}) {
    const auto result = run_load({"--stats-path", path});
    EXPECT_EQ(result.exit_code, 2) << path;
    EXPECT_NE(result.message.find("stats_path '" + std::string(path) + "' is a route of the "
                                  "gateway's own"),
              std::string::npos)
        << result.message;
  }
  const auto socketio = run_load({"--socketio", "--stats-path", "/socket.io/"});
  EXPECT_EQ(socketio.exit_code, 2) << socketio.message;
  // With demo on, its pages are routes too.
  for (const char* path : {"/demo/", "/dashboard/x"}) {
    const auto demo = run_load({"--demo", "--stats-path", path});
    EXPECT_EQ(demo.exit_code, 2) << path << ": " << demo.message;
    EXPECT_TRUE(run_load({"--stats-path", path}).config) << path << " is free without demo";
  }
}

TEST(StatsPath, APatternIsRefused) {
  // The router takes a trailing '*' as a prefix route: '/*' would take every GET below the
  // gateway's own routes.
  for (const char* path : {"/*", "/stats*", "/a*b"}) {
    const auto result = run_load({"--stats-path", path});
    EXPECT_EQ(result.exit_code, 2) << path;
    EXPECT_NE(result.message.find("holds a '*'"), std::string::npos) << result.message;
  }
}

TEST(StatsPath, MetricsAndAnyOtherPathAreTaken) {
  for (const char* path : {"/metrics", "/stats", "/internal/stats", "/socket.io/"}) {
    const auto result = run_load({"--stats-path", path});
    ASSERT_TRUE(result.config) << path << ": " << result.message;
    EXPECT_EQ(result.config->stats_path, path);
  }
  EXPECT_EQ(run_load({}).config->stats_path, "/stats");
}

TEST(OutboundQueue, AHardLimitBelowTheSoftOneIsRefused) {
  const auto result = run_load({"--outbound-queue-limit", "2MiB", "--outbound-queue-hard-limit", "1MiB"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("outbound_queue_hard_limit (1048576) is below outbound_queue_limit"),
            std::string::npos)
      << result.message;
  const auto fine = run_load({"--outbound-queue-limit", "2MiB", "--outbound-queue-hard-limit", "2MiB",
                              "--outbound-queue-grace", "0"});
  ASSERT_TRUE(fine.config) << fine.message;
  EXPECT_EQ(fine.config->outbound_queue_grace.count(), 0);
}

TEST(AuthServiceUrl, HttpAndGrpcAddressesAreTaken) {
  for (const char* url : {"http://auth:8080/check", "grpc://auth:50051", "grpcs://auth.internal:443",
                          "grpc://127.0.0.1:9/", "grpc://[::1]:50051"}) {
    const auto result = run_load({"--auth-service-url", url});
    ASSERT_TRUE(result.config) << url << ": " << result.message;
    EXPECT_EQ(result.config->auth_service_url, url);
  }
  const auto tls = run_load({"--auth-service-url", "grpcs://auth:443", "--auth-service-ca-file",
                             "/etc/ca.pem", "--auth-service-headers", "User-Agent,X-Device"});
  ASSERT_TRUE(tls.config) << tls.message;
  EXPECT_EQ(tls.config->auth_service_headers,
            (std::vector<std::string>{"User-Agent", "X-Device"}));
}

TEST(AuthServiceUrl, AnotherSchemeAGrpcPathOrNoPortIsRefused) {
  for (const char* url : {"https://auth/check", "auth:50051", "grpc://auth", "grpc://auth:",
                          "grpc://auth:50051/switchboard.auth.v1.AuthService", "grpc://:50051",
                          "grpcs://auth:https"}) {
    const auto result = run_load({"--auth-service-url", url});
    EXPECT_EQ(result.exit_code, 2) << url;
    EXPECT_NE(result.message.find("auth_service_url '" + std::string(url) + "'"),
              std::string::npos)
        << result.message;
  }
}

TEST(AuthServiceUrl, ForwardedHeadersNeedGrpc) {
  const auto result = run_load({"--auth-service-url", "http://auth/check",
                                "--auth-service-headers", "User-Agent"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("auth_service_headers are passed to a gRPC auth service only"),
            std::string::npos)
      << result.message;
}

TEST(AuthServiceUrl, ACaFileNeedsGrpcs) {
  for (const char* url : {"http://auth/check", "grpc://auth:50051"}) {
    const auto result =
        run_load({"--auth-service-url", url, "--auth-service-ca-file", "/etc/ca.pem"});
    EXPECT_EQ(result.exit_code, 2) << url;
    EXPECT_NE(result.message.find("auth_service_ca_file is for a grpcs://"), std::string::npos)
        << result.message;
  }
}

}  // namespace
}  // namespace switchboard::config::test
