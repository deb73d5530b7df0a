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
