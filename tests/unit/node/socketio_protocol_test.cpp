// SocketIoProtocol: how the gateway's commands, replies and publications map onto Socket.IO
// packets (docs/socketio.md). The expected packets are those socket.io-client reads; the
// interop suite (tests/e2e/socketio/) checks the same against a real Socket.IO server.
#include "socketio_protocol.hpp"

#include <gtest/gtest.h>

#include "node.hpp"
#include "switchboard/gateway.hpp"

namespace switchboard::node {
namespace {

std::string text_of(const ws::OutboundMessage& message) {
  return std::string(ws::frame_payload(message.plain));
}

DeliveryPtr delivery(std::string type, std::string payload, std::uint64_t ack_number = 0,
                     bool raw = false) {
  auto publication = std::make_shared<engine::Publication>();
  publication->channel = "news";
  publication->type = std::move(type);
  publication->payload = std::move(payload);
  publication->raw = raw;
  auto d = std::make_shared<Delivery>();
  d->publication = publication;
  d->ack_number = ack_number;
  return d;
}

class SocketIoProtocolTest : public ::testing::Test {
 protected:
  SocketIoFrames frames_{"/", false, 0};
  SocketIoProtocol protocol_{frames_};

  std::string encode(const Outgoing& m) {
    std::string out;
    protocol_.encode(out, m);
    return out;
  }
  // The first authentication succeeds: auth.success, then the session starts (as
  // Session::accept_identity sends them); the CONNECT answer goes with the start.
  void connect() {
    ASSERT_EQ(encode({.type = "auth.success", .payload = R"({"user_id":"u","session_id":"s-1"})"}),
              "");
    SessionInfo info;
    info.user_id = "u";
    info.session_id = "s-1";
    std::string out;
    protocol_.encode_started(out, info);
    ASSERT_EQ(out, "40{\"sid\":\"s-1\"}\x1e"
                   R"(42["connected",{"user_id":"u","session_id":"s-1"}])");
  }
};

TEST_F(SocketIoProtocolTest, AnEventIsTheCommandOfItsNameWithItsAckIdAndArgument) {
  const Decoded d = protocol_.decode(R"(212["subscribe",{"channel":"news"}])");
  ASSERT_EQ(d.kind, Decoded::Kind::command);
  EXPECT_EQ(d.envelope.type, "subscribe");
  EXPECT_EQ(d.envelope.id, "12");
  EXPECT_EQ(d.envelope.payload, R"({"channel":"news"})");
}

TEST_F(SocketIoProtocolTest, SeveralArgumentsAreTheArrayOfThemNoneIsNoPayload) {
  const Decoded several = protocol_.decode(R"(2["move",1,"a",{"b":2}])");
  EXPECT_EQ(several.envelope.payload, R"([1,"a",{"b":2}])");
  const Decoded none = protocol_.decode(R"(2["ping"])");
  EXPECT_EQ(none.envelope.type, "ping");
  EXPECT_TRUE(none.envelope.payload.empty());
  EXPECT_TRUE(none.envelope.id.empty());
}

TEST_F(SocketIoProtocolTest, AckDisconnectAndDuplicateConnect) {
  const Decoded ack = protocol_.decode("37[]");
  ASSERT_EQ(ack.kind, Decoded::Kind::command);
  EXPECT_EQ(ack.envelope.type, "ack");
  EXPECT_EQ(ack.envelope.id, "7");
  EXPECT_EQ(protocol_.decode("1").kind, Decoded::Kind::leave);
  EXPECT_EQ(protocol_.decode("0").kind, Decoded::Kind::ignored);
  const Decoded bad = protocol_.decode("2[bad");
  EXPECT_EQ(bad.kind, Decoded::Kind::malformed);
  EXPECT_EQ(bad.error_code, "bad_json");
  EXPECT_EQ(protocol_.decode("3[]").kind, Decoded::Kind::malformed);  // an ack needs an id
}

TEST_F(SocketIoProtocolTest, BeforeConnectOnlyTheAuthenticationsOutcomeGoesOut) {
  EXPECT_EQ(encode({.type = "connected", .payload = R"({"session_id":"s-1"})"}), "");
  std::string out;
  protocol_.encode_error(out, R"({"code":"rate_limited","message":"slow"})", "");
  EXPECT_EQ(out, "");
  EXPECT_EQ(encode({.type = "auth.error",
                    .payload = R"({"code":"expired","message":"token expired"})"}),
            R"(44{"message":"token expired","data":{"code":"expired"}})");
  EXPECT_FALSE(protocol_.connected());
}

TEST_F(SocketIoProtocolTest, OnceConnectedARefreshsSuccessIsAnEvent) {
  connect();
  EXPECT_EQ(encode({.type = "auth.success", .payload = R"({"user_id":"u","session_id":"s-1"})"}),
            R"(42["auth.success",{"user_id":"u","session_id":"s-1"}])");
}

TEST_F(SocketIoProtocolTest, AnAnonymousStartConnects) {
  SessionInfo info;
  info.session_id = "s-1";
  std::string out;
  protocol_.encode_started(out, info);
  EXPECT_EQ(out, "40{\"sid\":\"s-1\"}\x1e" R"(42["connected",{"user_id":"","session_id":"s-1"}])");
  out.clear();
  protocol_.encode_started(out, info);  // once
  EXPECT_EQ(out, "");
}

TEST_F(SocketIoProtocolTest, ARequestWithAnAckIdIsAnsweredByAnAckOnce) {
  connect();
  protocol_.decode(R"(25["subscribe",{"channel":"news"}])");
  EXPECT_EQ(encode({.type = "subscribed", .payload = R"({"channel":"news"})", .id = "5",
                    .reply_to = "5"}),
            R"(435[{"channel":"news"}])");
  // A second answer to the same id (there is none) goes out as an event.
  EXPECT_EQ(encode({.type = "subscribed", .payload = "{}", .reply_to = "5"}),
            R"(42["subscribed",{}])");
  // An answer without payload acknowledges with an empty object.
  protocol_.decode(R"(26["publish",{}])");
  EXPECT_EQ(encode({.type = "ack", .id = "6", .reply_to = "6"}), "436[{}]");
}

TEST_F(SocketIoProtocolTest, ErrorsAnswerTheirRequestOrAreErrorEvents) {
  connect();
  protocol_.decode(R"(29["subscribe",{"channel":"secret"}])");
  std::string out;
  protocol_.encode_error(out, R"({"code":"forbidden","message":"no","ref":"9"})", "9");
  EXPECT_EQ(out, R"(439[{"error":{"code":"forbidden","message":"no","ref":"9"}}])");
  out.clear();
  protocol_.encode_error(out, R"({"code":"bad_request","message":"x","ref":"typing"})", "typing");
  EXPECT_EQ(out, R"(42["error",{"code":"bad_request","message":"x","ref":"typing"}])");
}

TEST_F(SocketIoProtocolTest, ASnapshotNamesItsChannel) {
  connect();
  EXPECT_EQ(encode({.type = "snapshot", .payload = R"({"x":1})", .channel = "board:1"}),
            R"(42["snapshot",{"channel":"board:1","payload":{"x":1}}])");
}

TEST_F(SocketIoProtocolTest, APublicationIsEncodedOncePerDeliveryAndCarriesItsAckNumber) {
  const DeliveryPtr d = delivery("notification-received", R"({"id":9})", 42);
  const ws::OutboundMessage& first = protocol_.publication(d);
  EXPECT_EQ(text_of(first), R"(4242["notification-received",{"id":9}])");
  // Another session of the namespace gets the very same frame.
  SocketIoProtocol other(frames_);
  EXPECT_EQ(other.publication(d).plain.data(), first.plain.data());
  EXPECT_EQ(protocol_.ack_key(*d), "42");
  EXPECT_TRUE(protocol_.attachments(d).empty());
}

TEST_F(SocketIoProtocolTest, ARawNonJsonPayloadGoesAsAString) {
  EXPECT_EQ(text_of(protocol_.publication(delivery("", "hello", 0, true))),
            R"(42["message","hello"])");
}

TEST_F(SocketIoProtocolTest, BinaryValuesBecomeAttachments) {
  const DeliveryPtr d = delivery("file", R"({"data":{"$binary":"AAEC/w=="}})");
  EXPECT_EQ(text_of(protocol_.publication(d)),
            R"(451-["file",{"data":{"_placeholder":true,"num":0}}])");
  const auto attachments = protocol_.attachments(d);
  ASSERT_EQ(attachments.size(), 1u);
  EXPECT_EQ(ws::frame_payload(attachments[0]), std::string_view("\x00\x01\x02\xff", 4));
}

TEST(SocketIoNamespaceTest, PacketsOfANamespaceNameIt) {
  SocketIoFrames frames{"/admin", false, 0};
  SocketIoProtocol protocol{frames};
  std::string out;
  SessionInfo info;
  info.session_id = "s";
  protocol.encode_started(out, info);
  EXPECT_EQ(out.substr(0, out.find('\x1e')), R"(40/admin,{"sid":"s"})");
  EXPECT_EQ(text_of(protocol.publication(delivery("t", "1"))), R"(42/admin,["t",1])");
}

}  // namespace
}  // namespace switchboard::node
