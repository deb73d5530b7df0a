#include "switchboard/socketio/engine_io.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::socketio {
namespace {

using namespace std::string_view_literals;

TEST(EioParseText, ReadsEveryTypeAndItsData) {
  const std::string types = "0123456";
  for (const char t : types) {
    const auto packet = parse_eio_text(std::string(1, t) + "probe");
    ASSERT_TRUE(packet) << t;
    EXPECT_EQ(static_cast<char>(packet->type), t);
    EXPECT_EQ(packet->data, "probe");
    EXPECT_FALSE(packet->binary);
  }
}

TEST(EioParseText, DataViewsIntoTheFrame) {
  // engine.io-parser encodePacket({type:"message",data:"hello"}, true) gives "4hello".
  const std::string frame = "4hello";
  const auto packet = parse_eio_text(frame);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->type, EioType::message);
  EXPECT_EQ(packet->data.data(), frame.data() + 1);
  EXPECT_EQ(parse_eio_text("2")->data, "");
}

TEST(EioParseText, RefusesEmptyAndUnknownTypes) {
  EXPECT_FALSE(parse_eio_text(""));
  EXPECT_FALSE(parse_eio_text("7"));
  EXPECT_FALSE(parse_eio_text("/"));
  EXPECT_FALSE(parse_eio_text("bAQID"));  // base64 binary belongs to polling payloads
  EXPECT_FALSE(
      parse_eio_text("\x1e"
                     "4a"));
}

TEST(EioSplitPayload, ReadsTheReferenceEncodersPayload) {
  // engine.io-parser 5.2.3 encodePayload([{type:"open",data:'{"sid":"x"}'},
  //   {type:"message",data:'2["a"]'},{type:"ping"},{type:"message",data:Buffer.from([1,2,3,4])}])
  const std::string body =
      "0{\"sid\":\"x\"}\x1e"
      "42[\"a\"]\x1e"
      "2\x1e"
      "bAQIDBA==";
  std::vector<EioPacket> packets;
  std::string scratch;
  ASSERT_TRUE(split_eio_payload(body, packets, scratch, 16));
  ASSERT_EQ(packets.size(), 4u);
  EXPECT_EQ(packets[0].type, EioType::open);
  EXPECT_EQ(packets[0].data, R"({"sid":"x"})");
  EXPECT_EQ(packets[1].type, EioType::message);
  EXPECT_EQ(packets[1].data, R"(2["a"])");
  EXPECT_EQ(packets[2].type, EioType::ping);
  EXPECT_EQ(packets[2].data, "");
  EXPECT_EQ(packets[3].type, EioType::message);
  EXPECT_TRUE(packets[3].binary);
  EXPECT_EQ(packets[3].data, "\x01\x02\x03\x04"sv);
}

TEST(EioSplitPayload, BinaryViewsStayValidAcrossManyPackets) {
  std::string body;
  for (int i = 0; i < 50; ++i)
    append_eio_payload_binary(body, std::string(40, static_cast<char>(i)));
  std::vector<EioPacket> packets;
  std::string scratch;
  ASSERT_TRUE(split_eio_payload(body, packets, scratch, 50));
  ASSERT_EQ(packets.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(packets[i].data, std::string(40, static_cast<char>(i))) << i;
    EXPECT_GE(packets[i].data.data(), scratch.data());
    EXPECT_LE(packets[i].data.data() + packets[i].data.size(), scratch.data() + scratch.size());
  }
}

TEST(EioSplitPayload, AcceptsUnpaddedBase64AsNodesBufferDoes) {
  std::vector<EioPacket> packets;
  std::string scratch;
  ASSERT_TRUE(split_eio_payload("b3q0", packets, scratch, 1));
  EXPECT_EQ(packets[0].data, "\xde\xad"sv);
}

TEST(EioSplitPayload, RefusesMalformedPayloads) {
  std::vector<EioPacket> packets;
  std::string scratch;
  for (const std::string_view body : {""sv, "\x1e"sv,
                                      "4a\x1e\x1e"
                                      "4b"sv,
                                      "4a\x1e"sv,
                                      "\x1e"
                                      "4a"sv,
                                      "4a\x1e"
                                      "9x"sv,
                                      "bA"sv, "b@@@@"sv, "bAQ=D"sv, "bAQID=="sv}) {
    packets.push_back({EioType::noop, "stale"});
    EXPECT_FALSE(split_eio_payload(body, packets, scratch, 8)) << body;
    EXPECT_TRUE(packets.empty()) << body;
  }
}

TEST(EioSplitPayload, RefusesMorePacketsThanTheLimit) {
  std::vector<EioPacket> packets;
  std::string scratch;
  EXPECT_TRUE(
      split_eio_payload("2\x1e"
                        "2\x1e"
                        "2",
                        packets, scratch, 3));
  EXPECT_FALSE(
      split_eio_payload("2\x1e"
                        "2\x1e"
                        "2\x1e"
                        "2",
                        packets, scratch, 3));
  EXPECT_FALSE(split_eio_payload("2", packets, scratch, 0));
}

TEST(EioAppendPayload, SeparatesPacketsAndRoundTrips) {
  std::string body;
  append_eio_payload_packet(body, EioType::open, R"({"sid":"x"})");
  append_eio_payload_packet(body, EioType::message, R"(2["a"])");
  append_eio_payload_packet(body, EioType::ping, "");
  append_eio_payload_binary(body, "\x01\x02\x03\x04"sv);
  // The same four packets as engine.io-parser's encodePayload gives (see above).
  EXPECT_EQ(body,
            "0{\"sid\":\"x\"}\x1e"
            "42[\"a\"]\x1e"
            "2\x1e"
            "bAQIDBA==");
  std::string single;
  // engine.io-parser encodePacket({type:"message",data:Buffer.from([0xde,0xad])}, false)
  append_eio_payload_binary(single, "\xde\xad"sv);
  EXPECT_EQ(single, "b3q0=");
}

TEST(EioOpenPacket, WritesTheReferenceHandshake) {
  std::string out;
  append_open_packet(out, "oSO0OpakMV_3jnilAAAA", true, 25000, 20000, 1000000);
  EXPECT_EQ(out, R"(0{"sid":"oSO0OpakMV_3jnilAAAA","upgrades":["websocket"],"pingInterval":25000,)"
                 R"("pingTimeout":20000,"maxPayload":1000000})");
  out.clear();
  append_open_packet(out, "a\"b", false, 1, 2, 3);
  EXPECT_EQ(out,
            R"(0{"sid":"a\"b","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})");
}

TEST(EioBeginMessage, PrefixesTheMessageType) {
  std::string out;
  begin_eio_message(out);
  out += "2[\"a\"]";
  EXPECT_EQ(out, "42[\"a\"]");
}

TEST(EioErrorBody, MatchesTheReferenceServer) {
  // engine.io 6.6.12 abortRequest: JSON.stringify({code, message: Server.errorMessages[code]}).
  EXPECT_EQ(eio_error_body(EioError::transport_unknown),
            R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(eio_error_body(EioError::session_id_unknown),
            R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(eio_error_body(EioError::bad_handshake_method),
            R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(eio_error_body(EioError::bad_request), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(eio_error_body(EioError::forbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(eio_error_body(EioError::unsupported_protocol_version),
            R"({"code":5,"message":"Unsupported protocol version"})");
  EXPECT_EQ(eio_error_status(EioError::forbidden), 403u);
  EXPECT_EQ(eio_error_status(EioError::session_id_unknown), 400u);
}

}  // namespace
}  // namespace switchboard::socketio
