// Seed 004 as its users run it: the library inside their own program, one Gateway per pod,
// presence and the registry on Redis, RabbitMQ between the pods (broker = "rabbitmq", as in
// examples/seeds/004.toml). The seed's README, in this library's words:
//   wsServer.On("chat_message", …)                → gateway.on("chat_message", …)
//   wsServer.SendToUser(ctx, "user-123", Envelope{Type:"notification", ID:"msg-123",
//                       RequiresAck:true, …})     → gateway.send_to_user("user-123", {…})
// Here the send is made on pod A while the user is connected to pod B: it reaches them through
// pod B's RabbitMQ queue, is sent again until acknowledged, and stops once it is. Private
// redis-server and rabbitmq-server (~5 s to start, once for the binary).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "gateway_test_support.hpp"
#include "rabbitmq_server_process.hpp"
#include "redis_server_process.hpp"
#include "switchboard/gateway.hpp"
#include "wait_until.hpp"

namespace switchboard {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::api;
using testing::metric;
using testing::next_of_type;
using testing::TestClient;

class Seed004 : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"pod-a", "pod-b"}) {
      config::Config c = testing::local_config();
      c.node_id = id;
      c.engine = "redis";
      c.redis_url = "redis://127.0.0.1:" + std::to_string(redis_.port());
      c.broker = "rabbitmq";
      c.amqp_url = test::RabbitMqServerProcess::shared().url();
      c.broker_prefix = "seed004-library";
      c.jwt_secret = "s";
      c.api_key = "k";
      c.ack_retry_initial = 300ms;  // the test sees a retry soon
      configs_.push_back(c);
      pods_.push_back(std::make_unique<Gateway>(c));
    }
    pods_[1]->on("chat_message", [this](Client& client, const ClientEvent& event) {
      chat_.set_value(std::string(event.payload));
      client.reply("chat_message.ok", "{}");
    });
    for (auto& pod : pods_) pod->start();
    for (const auto& c : configs_) {
      ASSERT_TRUE(net::testing::wait_until([&] { return api(c.port, "GET", "/ready").first == 200; },
                                           20s))
          << "pod " << c.node_id << " not ready";
    }
  }
  void TearDown() override {
    for (auto& pod : pods_) pod->stop();
    for (auto& pod : pods_) pod->wait();
  }

  test::RedisServerProcess redis_ = test::RedisServerProcess::start();
  std::vector<config::Config> configs_;
  std::vector<std::unique_ptr<Gateway>> pods_;
  std::promise<std::string> chat_;
};

TEST_F(Seed004, SendToUserOnPodAReachesTheUserOnPodBThroughRabbitMqAgainUntilAcked) {
  auto device = testing::connect_as(configs_[1], "user-123");
  ASSERT_TRUE(net::testing::wait_until([&] {
    return api(configs_[0].port, "GET", "/api/users/user-123").second.find("\"online\":true") !=
           std::string::npos;
  })) << "pod A never saw user-123 in the registry";
  const auto received_before =
      metric(configs_[1].port, "switchboard_broker_rabbitmq_received_total{kind=\"channel\"}");

  pods_[0]->send_to_user("user-123", {.type = "notification",
                                      .payload = R"({"text": "You have a new alert!"})",
                                      .id = "msg-123",
                                      .requires_ack = true});
  const json::value first = next_of_type(*device, "notification");
  ASSERT_TRUE(first.is_object());
  const json::object& m = first.as_object();
  EXPECT_EQ(m.at("channel").as_string(), "user:user-123");
  EXPECT_EQ(m.at("id").as_string(), "msg-123");
  EXPECT_TRUE(m.at("requires_ack").as_bool());
  EXPECT_TRUE(m.at("offset").is_int64() || m.at("offset").is_uint64());
  EXPECT_EQ(json::serialize(m.at("payload")), R"({"text":"You have a new alert!"})");
  EXPECT_EQ(metric(configs_[1].port, "switchboard_broker_rabbitmq_received_total{kind=\"channel\"}"),
            received_before + 1)
      << "it reached pod B through its RabbitMQ queue";

  // Not acknowledged: sent again (300 ms, then doubling).
  const json::value again = next_of_type(*device, "notification");
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(again.as_object().at("id").as_string(), "msg-123");
  device->send_text(R"({"type":"ack","payload":{"id":"msg-123"}})");
  // Acknowledged: nothing more until the client's receive timeout (5 s), past the next three
  // retries (600 ms, 1.2 s, 2.4 s).
  for (;;) {
    const json::value m2 = testing::next_message(*device);
    if (m2.is_null()) break;  // the timeout: nothing more came
    ASSERT_FALSE(testing::has_type(m2, "notification")) << "sent again after the ack";
  }
}

TEST_F(Seed004, AHandlerRegisteredWithOnReceivesTheClientsEvent) {
  auto client = testing::connect_as(configs_[1], "user-7");
  client->send_text(R"({"type":"chat_message","payload":{"text":"hi"}})");
  auto got = chat_.get_future();
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(got.get(), R"({"text":"hi"})");
  next_of_type(*client, "chat_message.ok");
}

}  // namespace
}  // namespace switchboard
