// The library Gateway in process, with what the binary cannot be configured to do, so that the
// documented codes it leads to are seen on the wire: an engine whose broker refuses publishes
// (a distributed backend that is down: error publish_failed), and an authenticator whose keys
// carry key ids (auth.error unknown_key). With the embedded memory engine and the binary's
// single unnamed key, neither can happen. The engine failure tests run twice: against the
// failing stores as they are (answering on the caller's thread), and behind the deferred
// engine (answering later, on the engine's thread, as a network backend does).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <future>
#include <memory>
#include <string>

#include "gateway_test_support.hpp"
#include "switchboard/auth/authenticator.hpp"
#include "switchboard/auth/jwt_verifier.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/gateway.hpp"
#include "wait_until.hpp"

namespace switchboard {
namespace {

namespace json = boost::json;
using testing::api;
using testing::Frame;
using testing::local_config;
using testing::metric;
using testing::next_of_type;
using testing::Running;
using testing::TestClient;

// The memory broker, except that publications to channels starting with "down:" fail the way
// an unreachable backend's do.
class BrokerDownFor : public engine::Broker {
 public:
  explicit BrokerDownFor(std::unique_ptr<engine::Broker> inner) : inner_(std::move(inner)) {}
  void start(std::string node_id, engine::BrokerHandler& handler) override {
    inner_->start(std::move(node_id), handler);
  }
  void subscribe(std::string_view channel, engine::Completion done) override {
    inner_->subscribe(channel, std::move(done));
  }
  void unsubscribe(std::string_view channel, engine::Completion done) override {
    inner_->unsubscribe(channel, std::move(done));
  }
  void publish(engine::Publication publication, const engine::HistoryOptions& history,
               engine::ResultCallback<engine::PublicationPtr> done) override {
    if (publication.channel.rfind("down:", 0) == 0) {
      if (done) done(engine::EngineErrc::unavailable, nullptr);
      return;
    }
    inner_->publish(std::move(publication), history, std::move(done));
  }
  void publish_to_node(std::string_view node_id, const engine::PublicationPtr& publication,
                       engine::Completion done) override {
    inner_->publish_to_node(node_id, publication, std::move(done));
  }

 private:
  std::unique_ptr<engine::Broker> inner_;
};

// Stores that answer EngineErrc::unavailable for channels starting with "down:" and users
// starting with "down-" (a backend that is unreachable for that shard), the memory store
// otherwise.
bool down(std::string_view key) { return key.rfind("down:", 0) == 0 || key.rfind("down-", 0) == 0; }

class HistoryDownFor : public engine::HistoryStore {
 public:
  explicit HistoryDownFor(std::unique_ptr<engine::HistoryStore> inner) : inner_(std::move(inner)) {}
  void append(engine::Publication p, const engine::HistoryOptions& options,
              engine::ResultCallback<engine::PublicationPtr> done) override {
    if (down(p.channel)) return done(engine::EngineErrc::unavailable, nullptr);
    inner_->append(std::move(p), options, std::move(done));
  }
  void read(std::string_view channel, std::optional<engine::StreamPosition> since,
            std::size_t limit, engine::ResultCallback<engine::HistoryResult> done) override {
    // "noread:" channels take appends but cannot be read back.
    if (down(channel) || channel.rfind("noread:", 0) == 0) {
      return done(engine::EngineErrc::timeout, {});
    }
    inner_->read(channel, since, limit, std::move(done));
  }
  void remove(std::string_view channel, engine::Completion done) override {
    inner_->remove(channel, std::move(done));
  }

 private:
  std::unique_ptr<engine::HistoryStore> inner_;
};

class PresenceDownFor : public engine::PresenceStore {
 public:
  explicit PresenceDownFor(std::unique_ptr<engine::PresenceStore> inner) : inner_(std::move(inner)) {}
  void add(std::string_view channel, engine::PresenceEntry entry, std::chrono::milliseconds ttl,
           engine::ResultCallback<std::size_t> done) override {
    if (down(channel)) return done(engine::EngineErrc::unavailable, 0);
    inner_->add(channel, std::move(entry), ttl, std::move(done));
  }
  void remove(std::string_view channel, std::string_view client,
              engine::ResultCallback<std::size_t> done) override {
    inner_->remove(channel, client, std::move(done));
  }
  void members(std::string_view channel,
               engine::ResultCallback<std::vector<engine::PresenceEntry>> done) override {
    if (down(channel)) return done(engine::EngineErrc::unavailable, {});
    inner_->members(channel, std::move(done));
  }
  void touch_user(std::string_view user, std::chrono::milliseconds ttl,
                  engine::Completion done) override {
    inner_->touch_user(user, ttl, std::move(done));
  }
  void user_online(std::string_view user, engine::ResultCallback<bool> done) override {
    inner_->user_online(user, std::move(done));
  }

 private:
  std::unique_ptr<engine::PresenceStore> inner_;
};

class RegistryDownFor : public engine::NodeRegistry {
 public:
  explicit RegistryDownFor(std::unique_ptr<engine::NodeRegistry> inner) : inner_(std::move(inner)) {}
  void add_connection(std::string_view user, const engine::ConnectionLease& lease,
                      std::chrono::milliseconds ttl, std::size_t limit,
                      engine::ResultCallback<engine::Admission> done) override {
    if (down(user)) return done(engine::EngineErrc::unavailable, {});
    inner_->add_connection(user, lease, ttl, limit, std::move(done));
  }
  void remove_connection(std::string_view user, const engine::ConnectionLease& lease,
                         engine::Completion done) override {
    inner_->remove_connection(user, lease, std::move(done));
  }
  void nodes_of(std::string_view user,
                engine::ResultCallback<std::vector<std::string>> done) override {
    if (down(user)) return done(engine::EngineErrc::unavailable, {});
    inner_->nodes_of(user, std::move(done));
  }
  void connection_count(std::string_view user, engine::ResultCallback<std::size_t> done) override {
    if (down(user)) return done(engine::EngineErrc::unavailable, 0);
    inner_->connection_count(user, std::move(done));
  }

 private:
  std::unique_ptr<engine::NodeRegistry> inner_;
};

// Gateway::adopt refuses what it cannot serve, and the socket it was given is closed then too.
TEST(LibraryGateway, AdoptBeforeStartOrWithAnIdentityNamingNobodyThrowsAndClosesTheSocket) {
  auto peer_sees_end = [](int fd) {
    char byte = 0;
    return ::recv(fd, &byte, 1, 0) == 0;
  };
  config::Config config = local_config();
  config.listen = false;
  Gateway gateway(config);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  EXPECT_THROW(gateway.adopt({.fd = pair[0], .target = "/ws"}), std::logic_error);
  EXPECT_TRUE(peer_sees_end(pair[1]));
  ::close(pair[1]);

  gateway.start();
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  AdoptedConnection nobody{.fd = pair[0], .target = "/ws"};
  nobody.identity = auth::Identity{};
  EXPECT_THROW(gateway.adopt(std::move(nobody)), std::invalid_argument);
  EXPECT_TRUE(peer_sees_end(pair[1]));
  ::close(pair[1]);
  gateway.stop();
  gateway.wait();
}

TEST(LibraryGateway, PublishTheBrokerRefusesIsAnsweredWithPublishFailed) {
  config::Config c = local_config();
  c.allow_anonymous = true;
  c.client_publish = true;
  c.public_channels = {"down:*", "up:*"};
  engine::Engine engine = engine::make_memory_engine();
  engine.broker = std::make_unique<BrokerDownFor>(std::move(engine.broker));
  Running gateway(std::make_unique<Gateway>(c, std::move(engine)));

  TestClient client(c.port);
  ASSERT_EQ(client.upgrade(c.ws_path), 101);
  next_of_type(client, "connected");
  client.send_text(R"({"type":"subscribe","payload":{"channels":["down:a","up:a"]}})");
  EXPECT_EQ(next_of_type(client, "subscribed").at("payload"),
            json::parse(R"({"channels":["down:a","up:a"]})"));

  client.send_text(R"({"type":"publish","id":"p1","payload":{"channel":"down:a","data":1}})");
  const json::value error = next_of_type(client, "error");
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error.at("payload").at("code"), "publish_failed");
  EXPECT_EQ(error.at("payload").at("ref"), "p1");

  // The same connection's publish elsewhere still works: it is acknowledged.
  client.send_text(R"({"type":"publish","id":"p2","payload":{"channel":"up:a","data":2}})");
  EXPECT_EQ(next_of_type(client, "ack").at("id"), "p2");
}

// Broker ingress with format = "raw" (seed 003's clients expect their backend's own
// message): a raw publication's payload is the whole frame, with no envelope around it.
TEST(LibraryGateway, ARawPublicationReachesSubscribersAsItsPayloadAlone) {
  config::Config c = local_config();
  c.allow_anonymous = true;
  c.public_channels = {"posts"};
  engine::Engine engine = engine::make_memory_engine();
  engine::Broker* broker = engine.broker.get();  // the gateway owns it from here on
  Running gateway(std::make_unique<Gateway>(c, std::move(engine)));

  TestClient client(c.port);
  ASSERT_EQ(client.upgrade(c.ws_path), 101);
  next_of_type(client, "connected");
  client.send_text(R"({"type":"subscribe","payload":{"channels":["posts"]}})");
  next_of_type(client, "subscribed");

  for (const bool raw : {true, false}) {
    engine::Publication p;
    p.channel = "posts";
    p.type = "post.created";
    p.payload = R"({"action":"created","payload":{"id":7}})";
    p.raw = raw;
    std::promise<std::error_code> published;
    broker->publish(p, engine::HistoryOptions{0, std::chrono::minutes(1)},
                    [&](std::error_code ec, engine::PublicationPtr) { published.set_value(ec); });
    ASSERT_FALSE(published.get_future().get());
    const auto frame = client.read_frame();
    ASSERT_TRUE(frame);
    if (raw) {
      EXPECT_EQ(frame->payload, p.payload);
    } else {
      EXPECT_EQ(json::parse(frame->payload),
                json::parse(R"({"type":"post.created","channel":"posts",)"
                            R"("payload":{"action":"created","payload":{"id":7}}})"));
    }
  }
}

TEST(LibraryGateway, TokenNamingAnUnknownKeyIdIsRefusedWithUnknownKey) {
  config::Config c = local_config();
  auth::JwtConfig jwt;
  jwt.keys.push_back({auth::Algorithm::HS256, "key-2024", "secret-2024"});
  jwt.keys.push_back({auth::Algorithm::HS256, "key-2025", "secret-2025"});
  auto gateway = std::make_unique<Gateway>(c);
  gateway->set_authenticator(
      auth::make_jwt_authenticator(std::make_shared<const auth::JwtVerifier>(std::move(jwt))));
  Running running(std::move(gateway));

  const std::string claims = R"({"sub":"alice","exp":4102444800})";  // 2100-01-01
  TestClient known(c.port);
  ASSERT_EQ(known.upgrade(c.ws_path), 101);
  known.send_text(R"({"type":"auth","payload":{"token":")" +
                  auth::sign_jwt(auth::Algorithm::HS256, "secret-2025", claims, "key-2025") +
                  R"("}})");
  EXPECT_EQ(next_of_type(known, "auth.success").at("payload").at("user_id"), "alice");

  TestClient unknown(c.port);
  ASSERT_EQ(unknown.upgrade(c.ws_path), 101);
  unknown.send_text(R"({"type":"auth","id":"a1","payload":{"token":")" +
                    auth::sign_jwt(auth::Algorithm::HS256, "secret-2025", claims, "key-2026") +
                    R"("}})");
  const json::value refused = next_of_type(unknown, "auth.error");
  ASSERT_TRUE(refused.is_object());
  EXPECT_EQ(refused.at("payload").at("code"), "unknown_key");
  EXPECT_EQ(refused.at("payload").at("ref"), "a1");
  std::optional<Frame> close = unknown.read_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(close->close_code(), 4001);
}

// Every engine call can fail (a distributed backend down or slow): what the API and the client
// see is an explicit 503 or `error unavailable`, and /metrics counts it; nothing is answered as
// if it had worked.
class EngineFailures : public ::testing::TestWithParam<bool> {
 protected:
  EngineFailures() {
    c_.jwt_secret = "s";
    c_.api_key = "k";
    c_.public_channels = {"down:*", "noread:*", "up:*"};
    engine::Engine engine = engine::make_memory_engine();
    engine.broker = std::make_unique<BrokerDownFor>(std::move(engine.broker));
    engine.history = std::make_unique<HistoryDownFor>(std::move(engine.history));
    engine.presence = std::make_unique<PresenceDownFor>(std::move(engine.presence));
    engine.registry = std::make_unique<RegistryDownFor>(std::move(engine.registry));
    testing::EngineThreadPtr thread;
    if (GetParam()) {
      thread = std::make_shared<testing::EngineThread>();
      engine = testing::make_deferred_engine(std::move(engine), thread);
    }
    running_.emplace(std::make_unique<Gateway>(c_, std::move(engine)), thread);
  }
  // A client authenticated as `user`.
  std::unique_ptr<TestClient> connect(const std::string& user) {
    return testing::connect_as(c_, user);
  }
  std::uint64_t errors(std::string_view op) { return testing::engine_errors(c_.port, op); }

  config::Config c_ = local_config();
  std::optional<Running> running_;
};

INSTANTIATE_TEST_SUITE_P(Engines, EngineFailures, ::testing::Values(false, true),
                         testing::engine_name);

TEST_P(EngineFailures, APublishTheEngineCannotStoreIs503AndCounted) {
  const auto [status, body] = api(c_.port, "POST", "/api/publish",
                                  R"({"channel":"down:a","payload":{"n":1}})");
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("publish_failed"), std::string::npos) << body;
  EXPECT_EQ(errors("publish"), 1u);
  EXPECT_EQ(api(c_.port, "POST", "/api/publish", R"({"channel":"up:a","payload":{}})").first, 200);
}

TEST_P(EngineFailures, HistoryAndPresenceRequestsGetErrorUnavailable) {
  auto client = connect("alice");
  client->send_text(R"({"type":"history","id":"h1","payload":{"channel":"down:a"}})");
  json::value error = next_of_type(*client, "error");
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error.at("payload").at("code"), "unavailable");
  EXPECT_EQ(error.at("payload").at("ref"), "h1");
  client->send_text(R"({"type":"presence","id":"p1","payload":{"channel":"down:a"}})");
  error = next_of_type(*client, "error");
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error.at("payload").at("code"), "unavailable");
  EXPECT_EQ(error.at("payload").at("ref"), "p1");
  EXPECT_EQ(errors("history_read"), 1u);
  EXPECT_GE(errors("presence"), 1u);
  const auto [status, body] = api(c_.port, "GET", "/api/presence?channel=down:a");
  EXPECT_EQ(status, 503);
  EXPECT_NE(body.find("\"unavailable\""), std::string::npos) << body;
}

TEST_P(EngineFailures, AReplayWhoseHistoryCannotBeReadSaysSoAndLiveEventsFollow) {
  auto client = connect("bob");
  client->send_text(R"({"type":"subscribe","payload":{"channels":["noread:a"],"replay":true}})");
  next_of_type(*client, "subscribed");
  const json::value error = next_of_type(*client, "error");
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error.at("payload").at("code"), "unavailable");
  EXPECT_EQ(api(c_.port, "POST", "/api/publish", R"({"channel":"noread:a","payload":{"n":2}})").first,
            200);
  const json::value live = next_of_type(*client, "message.new");
  ASSERT_TRUE(live.is_object());
  EXPECT_EQ(live.at("payload"), json::parse(R"({"n":2})"));
}

TEST_P(EngineFailures, SendToAUserWhoseRegistryIsDownIs503NeitherSentNorKept) {
  const auto [status, body] = api(c_.port, "POST", "/api/send",
                                  R"({"user_id":"down-carol","requires_ack":true,"payload":{}})");
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("\"send_failed\""), std::string::npos) << body;
  EXPECT_EQ(errors("registry"), 1u);
  EXPECT_EQ(api(c_.port, "GET", "/api/users/down-carol").first, 503);
  // A user whose shard is up is unaffected.
  const auto sent = api(c_.port, "POST", "/api/send", R"({"user_id":"dave","requires_ack":true,"payload":{}})");
  EXPECT_EQ(sent.first, 200);
  EXPECT_NE(sent.second.find("stored_offline"), std::string::npos) << sent.second;
}

// The per-user connection limit is counted by the registry; when it cannot be asked, users are
// not locked out: the connection is admitted within the node's own count, the failure counted.
TEST_P(EngineFailures, AConnectionTheRegistryCannotCountIsAdmittedAndTheFailureCounted) {
  auto erin = connect("down-erin");  // auth.success (connect_as expects it)
  EXPECT_EQ(errors("registry"), 1u);
  EXPECT_EQ(api(c_.port, "GET", "/api/users/down-erin").first, 503)
      << "the count cannot be read either";
}

// The bug the cluster issue names: the user -> node entry was written once with a 90 s TTL and
// never refreshed, so an acknowledged send to a user connected for longer went to the offline
// store. The engine's clock is injected: time passes without waiting for it.
TEST(LibraryGateway, AUserConnectedLongerThanTheRegistryTtlIsStillReachedLive) {
  config::Config c = local_config();
  c.jwt_secret = "s";
  engine::ManualClock clock;
  auto gateway = std::make_unique<Gateway>(c, engine::make_memory_engine(clock.fn()));
  Gateway& g = *gateway;
  Running running(std::move(gateway));

  TestClient alice(c.port);
  ASSERT_EQ(alice.upgrade(c.ws_path), 101);
  alice.send_text(R"({"type":"auth","payload":{"token":")" +
                  auth::sign_jwt(auth::Algorithm::HS256, "s",
                                 R"({"sub":"alice","exp":4102444800})") +
                  R"("}})");
  next_of_type(alice, "auth.success");

  // Two thirds of the TTL at a time: each step is due for a refresh, which the node's
  // once-a-second tick makes (seen in its metric) before the clock moves on.
  for (int step = 1; step <= 3; ++step) {
    const std::uint64_t before = metric(c.port, "switchboard_gateway_registry_refreshes_total");
    clock.advance(c.registry_ttl * 2 / 3);
    ASSERT_TRUE(net::testing::wait_until([&] {
      return metric(c.port, "switchboard_gateway_registry_refreshes_total") > before;
    })) << "no registry refresh after step " << step;
  }
  // Twice the TTL since alice connected: still routed to her live connection.
  g.send_to_user("alice", {.type = "order.shipped", .payload = "{}", .id = "o1", .requires_ack = true});
  const json::value delivered = next_of_type(alice, "order.shipped");
  ASSERT_TRUE(delivered.is_object());
  EXPECT_EQ(delivered.at("id"), "o1");
}

}  // namespace
}  // namespace switchboard
