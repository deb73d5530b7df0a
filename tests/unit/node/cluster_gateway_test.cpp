// Two gateways in one process as the nodes of one cluster (make_memory_cluster: one broker hub,
// one set of memory stores), on both engines (answering inline, and later on an engine thread):
// what a user does on one node counts on the other. Presence: a user's second connection, on
// the other node, joins silently, and presence.leave comes once their last connection anywhere
// closed. The per-user connection limit counts the connections on every node. Sends and
// broadcasts with an idempotency key, made on every node (as a Pub/Sub ingress does), reach
// the user once, live or from the offline store.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_test_support.hpp"
#include "node.hpp"
#include "wait_until.hpp"

namespace switchboard {
namespace {

namespace json = boost::json;
using testing::api;
using testing::has_type;
using testing::next_of_type;
using testing::read_until;
using testing::TestClient;

class Cluster : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr std::size_t kNodes = 2;

  Cluster() {
    if (GetParam()) thread_ = std::make_shared<testing::EngineThread>();
    std::vector<engine::Engine> engines = testing::make_memory_cluster(kNodes, thread_);
    for (std::size_t i = 0; i < kNodes; ++i) {
      config::Config c = testing::local_config();
      c.node_id = "node-" + std::to_string(i);
      c.jwt_secret = "s";
      c.api_key = "k";
      c.public_channels = {"room:*"};
      c.presence_leave_delay = std::chrono::milliseconds(0);
      c.max_connections_per_user = 2;
      // No retry of an unacknowledged message while a test reads: every copy it counts is a
      // send's own.
      c.ack_retry_initial = std::chrono::hours(1);
      configs_.push_back(c);
      gateways_.push_back(std::make_unique<Gateway>(c, std::move(engines[i])));
    }
    for (auto& g : gateways_) g->start();
  }
  ~Cluster() override {
    // Every node stops before any is destroyed: a node's broker leaves the shared hub on
    // destruction, and must not while another still publishes to it.
    for (auto& g : gateways_) g->stop();
    for (auto& g : gateways_) g->wait();
    if (thread_) thread_->stop();
  }

  std::unique_ptr<TestClient> connect(std::size_t node, const std::string& user) {
    return testing::connect_as(configs_[node], user);
  }
  std::uint16_t port(std::size_t node) const { return configs_[node].port; }
  static void subscribe(TestClient& client, const std::string& channel) {
    client.send_text(R"({"type":"subscribe","payload":{"channels":[")" + channel + R"("]}})");
    next_of_type(client, "subscribed");
  }
  // Publishes a "marker" event {"n": n} to `channel` through `node`: what a subscriber reads
  // before it was caused before it.
  void mark(std::size_t node, const std::string& channel, int n) {
    const auto [status, body] =
        api(port(node), "POST", "/api/publish",
            R"({"channel":")" + channel + R"(","type":"marker","payload":{"n":)" +
                std::to_string(n) + "}}");
    EXPECT_EQ(status, 200) << body;
  }
  static std::function<bool(const json::value&)> marker(int n) {
    return [n](const json::value& m) {
      return has_type(m, "marker") && m.at("payload") == json::value{{"n", n}};
    };
  }
  static std::function<bool(const json::value&)> presence_event(const std::string& type,
                                                                const std::string& user) {
    return [type, user](const json::value& m) {
      return has_type(m, type) && m.at("payload").at("user_id") == user.c_str();
    };
  }
  static std::size_t count(const std::vector<json::value>& messages,
                           const std::function<bool(const json::value&)>& match) {
    return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(), match));
  }
  // The presence entries of `user` in `channel`, as `node`'s server API lists them.
  std::size_t entries_of(std::size_t node, const std::string& channel, const std::string& user) {
    const auto [status, body] = api(port(node), "GET", "/api/presence?channel=" + channel);
    if (status != 200) return 0;
    std::size_t n = 0;
    const json::value listed = json::parse(body);
    for (const auto& m : listed.at("members").as_array()) {
      if (m.at("user_id") == user.c_str()) ++n;
    }
    return n;
  }
  // The user's connections as `node`'s server API reports them (-1 on error).
  std::int64_t connections_of(std::size_t node, const std::string& user) {
    const auto [status, body] = api(port(node), "GET", "/api/users/" + user);
    if (status != 200) return -1;
    return json::parse(body).at("connections").as_int64();
  }
  // A connection of `user` to `node` that is refused for too many connections: auth.error
  // too_many_connections, then close 4003.
  void expect_refused(std::size_t node, const std::string& user) {
    auto client = testing::send_auth_as(configs_[node], user);
    const json::value error = next_of_type(*client, "auth.error");
    ASSERT_TRUE(error.is_object()) << "node " << node;
    EXPECT_EQ(error.at("payload").at("code"), "too_many_connections");
    std::optional<net::testing::Frame> close = client->read_frame();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->opcode, 0x8);
    EXPECT_EQ(close->close_code(), 4003);
  }

  // `node`'s send_to_user (user non-empty) or broadcast of `publication`, its outcome awaited.
  std::pair<std::error_code, node::SendOutcome> send(std::size_t node, const std::string& user,
                                                     engine::Publication publication) {
    using Result = std::pair<std::error_code, node::SendOutcome>;
    auto result = std::make_shared<std::promise<Result>>();
    auto done = [result](std::error_code ec, node::SendOutcome outcome) {
      result->set_value({ec, outcome});
    };
    if (user.empty()) {
      gateways_[node]->node().broadcast(std::move(publication), done);
    } else {
      gateways_[node]->node().send_to_user(user, std::move(publication), done);
    }
    auto future = result->get_future();
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "send not completed within 5 s";
      return {engine::EngineErrc::timeout, node::SendOutcome::published};
    }
    return future.get();
  }
  // A publication of `type` with idempotency key `key` (a 10 s window).
  static engine::Publication keyed(const std::string& type, const std::string& key,
                                   bool requires_ack = false) {
    engine::Publication p;
    p.type = type;
    p.payload = "{}";
    p.id = key;  // as an ingress would: the backend's message id
    p.requires_ack = requires_ack;
    p.idempotency_key = key;
    p.dedupe_window = std::chrono::seconds(10);
    return p;
  }
  // Every node sends (or broadcasts) the same keyed publication: one publishes (or keeps it
  // offline), the others learn they were duplicates.
  void send_from_every_node(const std::string& user, const engine::Publication& publication,
                            node::SendOutcome winner) {
    std::vector<node::SendOutcome> outcomes;
    for (std::size_t n = 0; n < kNodes; ++n) {
      const auto [ec, outcome] = send(n, user, publication);
      EXPECT_FALSE(ec) << ec.message();
      outcomes.push_back(outcome);
    }
    EXPECT_EQ(outcomes, (std::vector<node::SendOutcome>{winner, node::SendOutcome::duplicate}))
        << publication.type;
  }

  testing::EngineThreadPtr thread_;
  std::vector<config::Config> configs_;
  std::vector<std::unique_ptr<Gateway>> gateways_;
};

INSTANTIATE_TEST_SUITE_P(Engines, Cluster, ::testing::Values(false, true), testing::engine_name);

TEST_P(Cluster, AUserOnTwoNodesJoinsOnceAndLeavesOnceTheirLastConnectionAnywhereClosed) {
  const std::string room = "room:both";
  auto watcher = connect(0, "wes");
  subscribe(*watcher, room);
  auto on0 = connect(0, "ann");
  subscribe(*on0, room);
  auto on1 = connect(1, "ann");
  subscribe(*on1, room);  // her entry is in the store: any join it caused is published
  mark(1, room, 1);
  EXPECT_EQ(count(read_until(*watcher, marker(1)), presence_event("presence.join", "ann")), 1u)
      << "her second connection, on the other node, joins silently";

  on0.reset();  // node 0's connection closes: she is still on node 1
  ASSERT_TRUE(net::testing::wait_until([&] { return entries_of(1, room, "ann") == 1; }));
  mark(1, room, 2);
  std::vector<json::value> seen = read_until(*watcher, marker(2));
  on1.reset();  // her last connection anywhere
  const std::vector<json::value> leave =
      read_until(*watcher, presence_event("presence.leave", "ann"));
  seen.insert(seen.end(), leave.begin(), leave.end());
  mark(0, room, 3);
  const std::vector<json::value> after = read_until(*watcher, marker(3));
  seen.insert(seen.end(), after.begin(), after.end());
  EXPECT_EQ(count(seen, presence_event("presence.leave", "ann")), 1u);
  EXPECT_EQ(count(seen, presence_event("presence.join", "ann")), 0u);
}

TEST_P(Cluster, TheConnectionLimitCountsTheUsersConnectionsOnEveryNode) {
  auto on0 = connect(0, "lim");
  auto on1 = connect(1, "lim");  // the limit is 2: the user is at it, one on each node
  expect_refused(0, "lim");
  expect_refused(1, "lim");
  EXPECT_EQ(connections_of(0, "lim"), 2) << "every node reports the user's connections";
  EXPECT_EQ(connections_of(1, "lim"), 2) << "refused connections hold nothing";

  on0.reset();
  ASSERT_TRUE(net::testing::wait_until([&] { return connections_of(1, "lim") == 1; }));
  auto again = connect(1, "lim");  // room again, on either node
  expect_refused(0, "lim");
  EXPECT_EQ(connections_of(0, "lim"), 2);
}

TEST_P(Cluster, AKeyedSendOrBroadcastMadeOnEveryNodeArrivesOnce) {
  auto kim = connect(1, "kim");
  send_from_every_node("kim", keyed("to.kim", "s1"), node::SendOutcome::published);
  send_from_every_node("", keyed("to.all", "b1"), node::SendOutcome::published);
  // Unkeyed: each call is its own message.
  ASSERT_FALSE(send(0, "kim", keyed("marker", "")).first);
  const std::vector<json::value> seen =
      read_until(*kim, [](const json::value& m) { return has_type(m, "marker"); });
  EXPECT_EQ(count(seen, [](const json::value& m) { return has_type(m, "to.kim"); }), 1u);
  EXPECT_EQ(count(seen, [](const json::value& m) { return has_type(m, "to.all"); }), 1u);
}

TEST_P(Cluster, AKeyedAcknowledgedSendToAnOfflineUserIsKeptOnce) {
  // Connected nowhere: each node would keep it in the offline store; the key is claimed first.
  send_from_every_node("olly", keyed("kept", "o1", true), node::SendOutcome::kept_offline);
  auto olly = connect(0, "olly");
  const json::value first = next_of_type(*olly, "kept");
  ASSERT_TRUE(first.is_object());
  olly->send_text(R"({"type":"ack","id":"o1"})");
  // What the store kept came in one take, before this.
  ASSERT_FALSE(send(1, "olly", keyed("marker", "")).first);
  const std::vector<json::value> rest =
      read_until(*olly, [](const json::value& m) { return has_type(m, "marker"); });
  EXPECT_EQ(count(rest, [](const json::value& m) { return has_type(m, "kept"); }), 0u);
}

}  // namespace
}  // namespace switchboard
