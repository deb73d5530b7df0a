// The library Gateway in process, with what the binary cannot be configured to do, so that the
// documented codes it leads to are seen on the wire: an engine whose broker refuses publishes
// (a distributed backend that is down: error publish_failed), and an authenticator whose keys
// carry key ids (auth.error unknown_key). With the embedded memory engine and the binary's
// single unnamed key, neither can happen.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "switchboard/auth/authenticator.hpp"
#include "switchboard/auth/jwt_verifier.hpp"
#include "switchboard/engine/engine.hpp"
#include "switchboard/gateway.hpp"
#include "test_client.hpp"

namespace switchboard {
namespace {

namespace json = boost::json;
using net::testing::Frame;
using net::testing::TestClient;

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
  void publish(const engine::PublicationPtr& publication, engine::Completion done) override {
    if (publication->channel.rfind("down:", 0) == 0) {
      if (done) done(engine::EngineErrc::unavailable);
      return;
    }
    inner_->publish(publication, std::move(done));
  }
  void publish_to_node(std::string_view node_id, const engine::PublicationPtr& publication,
                       engine::Completion done) override {
    inner_->publish_to_node(node_id, publication, std::move(done));
  }

 private:
  std::unique_ptr<engine::Broker> inner_;
};

config::Config local_config() {
  config::Config c;
  c.bind_address = "127.0.0.1";
  c.port = net::testing::free_port();
  c.workers = 1;
  return c;
}

// A started gateway, stopped at the end of the test.
class Running {
 public:
  explicit Running(std::unique_ptr<Gateway> gateway) : gateway_(std::move(gateway)) {
    gateway_->start();
  }
  ~Running() {
    gateway_->stop();
    gateway_->wait();
  }
  Gateway& operator*() { return *gateway_; }

 private:
  std::unique_ptr<Gateway> gateway_;
};

// The next text frame as JSON (a null value when the connection ended or timed out).
json::value next_message(TestClient& client) {
  const std::optional<Frame> frame = client.read_frame();
  if (!frame || frame->opcode != 0x1) return nullptr;
  return json::parse(frame->payload);
}

// The next message of `type`, skipping others (bounded by the client's receive timeout).
json::value next_of_type(TestClient& client, std::string_view type) {
  for (int i = 0; i < 20; ++i) {
    json::value m = next_message(client);
    if (m.is_null()) break;
    if (m.as_object().at("type").as_string() == type) return m;
  }
  ADD_FAILURE() << "no " << type << " message";
  return nullptr;
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

}  // namespace
}  // namespace switchboard
