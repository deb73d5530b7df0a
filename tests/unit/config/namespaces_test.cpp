// Per-namespace settings: [namespaces.<name>] tables in the TOML file.
#include "load_harness.hpp"

namespace switchboard::config::test {
namespace {

using namespace std::chrono_literals;

TEST_F(LoadTest, NamespacesOverrideChannelOptions) {
  const std::string path = write_file("ns.toml",
                                      "history_size = 100\n"
                                      "[namespaces.conv]\n"
                                      "public = true\n"
                                      "history_size = 3\n"
                                      "history_ttl = \"10s\"\n"
                                      "snapshot_ttl = \"20s\"\n"
                                      "client_publish = true\n"
                                      "[namespaces.board]\n"
                                      "join_leave_events = false\n");
  const auto result = run_load({"--config", path});
  ASSERT_TRUE(result.config) << result.message;
  const Config& c = *result.config;
  ASSERT_EQ(c.namespaces.size(), 2u);
  const NamespaceConfig* conv = c.namespace_of("conv:42");
  ASSERT_NE(conv, nullptr);
  EXPECT_TRUE(conv->is_public);
  EXPECT_EQ(c.history_size_for("conv:42"), 3u);
  EXPECT_EQ(c.history_ttl_for("conv:42"), 10s);
  EXPECT_EQ(c.snapshot_ttl_for("conv:42"), 20s);
  EXPECT_EQ(c.snapshot_ttl_for("board:1"), 1h);  // the global default
  EXPECT_TRUE(c.client_publish_for("conv:42"));
  EXPECT_TRUE(c.join_leave_events_for("conv:42"));  // not overridden: the global default
  // Other namespaces and channels without one fall back to the global options.
  EXPECT_EQ(c.history_size_for("board:1"), 100u);
  EXPECT_FALSE(c.join_leave_events_for("board:1"));
  EXPECT_FALSE(c.namespace_of("board:1")->is_public);
  EXPECT_EQ(c.history_size_for("news"), 100u);
  EXPECT_EQ(c.namespace_of("news"), nullptr);
  EXPECT_EQ(c.namespace_of("other:1"), nullptr);
  EXPECT_FALSE(c.client_publish_for("news"));
}

TEST_F(LoadTest, DemoOpensTheDemoNamespaceUnlessTheFileConfiguresIt) {
  const auto plain = run_load({"--demo"});
  ASSERT_TRUE(plain.config) << plain.message;
  const NamespaceConfig* rooms = plain.config->namespace_of("demo:general");
  ASSERT_NE(rooms, nullptr);
  EXPECT_TRUE(rooms->is_public);
  EXPECT_TRUE(plain.config->client_publish_for("demo:general"));
  EXPECT_FALSE(plain.config->client_publish_for("conv:1"));
  EXPECT_EQ(run_load({}).config->namespace_of("demo:general"), nullptr);

  const std::string path = write_file("demo.toml", "[namespaces.demo]\nclient_publish = false\n");
  const auto own = run_load({"--demo", "--config", path});
  ASSERT_TRUE(own.config) << own.message;
  ASSERT_EQ(own.config->namespaces.size(), 1u);
  EXPECT_FALSE(own.config->client_publish_for("demo:general"));
  EXPECT_FALSE(own.config->namespace_of("demo:general")->is_public);
}

TEST_F(LoadTest, DemoNeedsTheTokensItSignsToBeTheOnesItChecks) {
  const auto service = run_load({"--demo", "--auth-service-url", "http://127.0.0.1:9/auth"});
  EXPECT_FALSE(service.config);
  EXPECT_EQ(service.exit_code, 2);
  EXPECT_NE(service.message.find("cannot run with auth_service_url"), std::string::npos)
      << service.message;
  const auto rsa = run_load({"--demo", "--jwt-algorithm", "RS256"});
  EXPECT_FALSE(rsa.config);
  EXPECT_NE(rsa.message.find("needs an HS* jwt_algorithm, not RS256"), std::string::npos)
      << rsa.message;
}

TEST_F(LoadTest, NamespaceErrorsAreReportedWithExitCode2) {
  const std::string path = write_file("bad.toml",
                                      "[namespaces.conv]\n"
                                      "public = \"yes\"\n"
                                      "history_size = -1\n"
                                      "port = 80\n");
  const auto result = run_load({"--config", path});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("namespaces.conv.public"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("namespaces.conv.history_size"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("unknown key 'port'"), std::string::npos) << result.message;
}

TEST_F(LoadTest, NamespacesMustBeTables) {
  const std::string path = write_file("flat.toml", "namespaces = 3\n");
  const auto result = run_load({"--config", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.message.find("table"), std::string::npos) << result.message;
}

}  // namespace
}  // namespace switchboard::config::test
