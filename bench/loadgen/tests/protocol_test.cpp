#include "protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace switchboard::bench
