#include "protocol.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "switchboard_protocol.hpp"

namespace switchboard::bench {
namespace {

class RecordingSink final : public MessageSink {
 public:
  void send_text(std::string_view message) override { sent.emplace_back(message); }
  std::vector<std::string> sent;
};

TEST(PlainProtocol, ReadyAtOnceAndPayloadIsTheMessage) {
  auto protocol = make_protocol("plain");
  ASSERT_NE(protocol, nullptr);
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  EXPECT_EQ(phase, Protocol::kReadyPhase);
  EXPECT_TRUE(sink.sent.empty());
  const ProtocolEvent event = protocol->on_message(phase, "hello", sink);
  EXPECT_EQ(event.kind, ProtocolEvent::Kind::kPayload);
  EXPECT_EQ(event.data, "hello");
  std::string out;
  protocol->append_publish(out, "p");
  EXPECT_EQ(out, "p");
  EXPECT_EQ(protocol->request_target(""), "/broadcast");
}

TEST(SwitchboardProtocol, AuthenticatesSubscribesThenReadsTheEnvelopesPayload) {
  auto protocol = make_protocol("switchboard");
  ASSERT_NE(protocol, nullptr);
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  EXPECT_NE(phase, Protocol::kReadyPhase);
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_TRUE(sink.sent[0].starts_with(R"({"type":"auth","payload":{"token":")"));
  EXPECT_TRUE(sink.sent[1].starts_with(R"({"type":"subscribe")"));
  // Events before the subscription is confirmed are not payloads.
  EXPECT_EQ(protocol->on_message(phase, R"({"type":"connected","payload":{}})", sink).kind,
            ProtocolEvent::Kind::kNothing);
  EXPECT_EQ(protocol->on_message(phase, R"({"type":"subscribed","payload":{}})", sink).kind,
            ProtocolEvent::Kind::kReady);
  EXPECT_EQ(phase, Protocol::kReadyPhase);
  const ProtocolEvent event = protocol->on_message(
      phase,
      R"({"type":"message.new","channel":"bench","offset":7,"epoch":"e1","payload":"s01t02..."})",
      sink);
  EXPECT_EQ(event.kind, ProtocolEvent::Kind::kPayload);
  EXPECT_EQ(event.data, "s01t02...");
  // A message that is not an envelope with a string payload last is a failure, not a payload.
  for (const char* bad : {R"({"type":"message.new","payload":{"x":1}})",
                          R"({"type":"message.new","other":"x"})",
                          R"({"type":"message.new","payload":"unterminated)"}) {
    EXPECT_EQ(protocol->on_message(phase, bad, sink).kind, ProtocolEvent::Kind::kFailed) << bad;
  }
  EXPECT_EQ(protocol->on_message(phase, R"({"type":"error","payload":{}})", sink).kind,
            ProtocolEvent::Kind::kFailed);
}

TEST(SocketIoProtocol, OpensNamespaceThenCarriesMessageEvents) {
  auto protocol = make_protocol("socketio");
  ASSERT_NE(protocol, nullptr);
  EXPECT_EQ(protocol->request_target(""), "/socket.io/?EIO=4&transport=websocket");
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  EXPECT_NE(phase, Protocol::kReadyPhase);

  EXPECT_EQ(protocol->on_message(phase, R"(0{"sid":"x","pingInterval":25000})", sink).kind,
            ProtocolEvent::Kind::kNothing);
  ASSERT_EQ(sink.sent, std::vector<std::string>{"40"});
  EXPECT_EQ(protocol->on_message(phase, R"(40{"sid":"y"})", sink).kind,
            ProtocolEvent::Kind::kReady);
  EXPECT_EQ(phase, Protocol::kReadyPhase);

  const ProtocolEvent event = protocol->on_message(phase, R"(42["message","abc"])", sink);
  EXPECT_EQ(event.kind, ProtocolEvent::Kind::kPayload);
  EXPECT_EQ(event.data, "abc");
  EXPECT_EQ(protocol->on_message(phase, R"(42["other","abc"])", sink).kind,
            ProtocolEvent::Kind::kNothing);

  EXPECT_EQ(protocol->on_message(phase, "2", sink).kind, ProtocolEvent::Kind::kNothing);
  EXPECT_EQ(sink.sent.back(), "3");  // ping answered with pong

  std::string out;
  protocol->append_publish(out, "abc");
  EXPECT_EQ(out, R"(42["message","abc"])");
}

TEST(SocketIoProtocol, FailsWithoutOpenPacketOrOnRefusal) {
  auto protocol = make_protocol("socketio");
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  EXPECT_EQ(protocol->on_message(phase, "garbage", sink).kind, ProtocolEvent::Kind::kFailed);
  phase = protocol->on_open(sink);
  protocol->on_message(phase, "0{}", sink);
  EXPECT_EQ(protocol->on_message(phase, R"(44{"message":"no"})", sink).kind,
            ProtocolEvent::Kind::kFailed);
  EXPECT_EQ(make_protocol("nope"), nullptr);
}


TEST(SwitchboardSocketIoProtocol, ConnectsWithItsOwnTokenSubscribesThenReadsItsChannelsEvents) {
  auto protocol = make_protocol("switchboard-socketio", {"s3cret", "room"});
  ASSERT_NE(protocol, nullptr);
  EXPECT_EQ(protocol->name(), "switchboard-socketio");
  EXPECT_EQ(protocol->request_target(""), "/socket.io/?EIO=4&transport=websocket");
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  protocol->on_message(phase, R"(0{"sid":"x","pingInterval":25000})", sink);
  ASSERT_EQ(sink.sent.size(), 1u);
  // CONNECT with a JWT: the same header as the native protocol's tokens, claims, signature.
  const std::string native = SwitchboardProtocol("s3cret", "room").token("bench-0");
  const std::string header = native.substr(0, native.find('.') + 1);
  const std::string& connect = sink.sent[0];
  EXPECT_TRUE(connect.starts_with(R"(40{"token":")" + header)) << connect;
  EXPECT_TRUE(connect.ends_with(R"("})")) << connect;
  EXPECT_EQ(std::count(connect.begin(), connect.end(), '.'), 2) << connect;
  // A second connection is another user.
  std::uint8_t other = protocol->on_open(sink);
  protocol->on_message(other, "0{}", sink);
  EXPECT_NE(sink.sent[1], sink.sent[0]);
  sink.sent.clear();

  EXPECT_EQ(protocol->on_message(phase, R"(40{"sid":"s1"})", sink).kind,
            ProtocolEvent::Kind::kNothing);
  ASSERT_EQ(sink.sent, std::vector<std::string>{R"(42["subscribe",{"channel":"room"}])"});
  EXPECT_EQ(protocol->on_message(phase, R"(42["connected",{"user_id":"bench-0"}])", sink).kind,
            ProtocolEvent::Kind::kNothing);
  EXPECT_EQ(protocol->on_message(phase, R"(42["subscribed",{"channel":"room"}])", sink).kind,
            ProtocolEvent::Kind::kReady);
  EXPECT_EQ(phase, Protocol::kReadyPhase);

  const ProtocolEvent event = protocol->on_message(phase, R"(42["message.new","s01t02"])", sink);
  EXPECT_EQ(event.kind, ProtocolEvent::Kind::kPayload);
  EXPECT_EQ(event.data, "s01t02");
  EXPECT_EQ(protocol->on_message(phase, R"(42["message","abc"])", sink).kind,
            ProtocolEvent::Kind::kNothing);
  EXPECT_EQ(protocol->on_message(phase, R"(42["error",{"code":"rate_limited"}])", sink).kind,
            ProtocolEvent::Kind::kFailed);

  std::string out;
  protocol->append_publish(out, "abc");
  EXPECT_EQ(out, R"(42["publish",{"channel":"room","data":"abc"}])");
}

TEST(SwitchboardSocketIoProtocol, FailsOnARefusedConnectOrSubscription) {
  auto protocol = make_protocol("switchboard-socketio");
  RecordingSink sink;
  std::uint8_t phase = protocol->on_open(sink);
  protocol->on_message(phase, "0{}", sink);
  const ProtocolEvent refused = protocol->on_message(
      phase, R"(44{"message":"bad signature","data":{"code":"bad_signature"}})", sink);
  EXPECT_EQ(refused.kind, ProtocolEvent::Kind::kFailed);
  EXPECT_NE(refused.data.find("bad_signature"), std::string_view::npos);

  phase = protocol->on_open(sink);
  protocol->on_message(phase, "0{}", sink);
  protocol->on_message(phase, R"(40{"sid":"s"})", sink);
  EXPECT_EQ(protocol->on_message(phase, R"(42["error",{"code":"forbidden"}])", sink).kind,
            ProtocolEvent::Kind::kFailed);
}

}  // namespace
}  // namespace switchboard::bench
