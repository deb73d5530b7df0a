// NativeProtocol: the JSON envelope {"type","channel"?,"id"?,"payload"?} of docs/protocol.md —
// how the session's replies and errors look, and how client messages decode.
#include "native_protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "error_codes.hpp"

namespace switchboard::node {
namespace {

boost::json::value encoded(const Outgoing& message) {
  std::string out;
  NativeProtocol::instance().encode(out, message);
  return boost::json::parse(out);
}

TEST(NativeProtocolEncode, TypeAndPayload) {
  const boost::json::value expected = {{"type", "auth.success"},
                                       {"payload", {{"user_id", "u\"1"}}}};
  EXPECT_EQ(encoded({.type = "auth.success", .payload = R"({"user_id":"u\"1"})"}), expected);
}

TEST(NativeProtocolEncode, WithoutPayloadHasNone) {
  EXPECT_EQ(encoded({.type = "pong"}), (boost::json::value{{"type", "pong"}}));
}

TEST(NativeProtocolEncode, TypeIsEscaped) {
  EXPECT_EQ(encoded({.type = "a\"\n", .payload = "1"}).as_object().at("type").as_string(), "a\"\n");
}

TEST(NativeProtocolEncode, ChannelAndIdAreTopLevel_ReplyToIsNotShown) {
  const boost::json::value v =
      encoded({.type = "snapshot", .payload = "{}", .id = "r1", .channel = "room:1",
               .reply_to = "r1"});
  const boost::json::value expected = {
      {"type", "snapshot"}, {"channel", "room:1"}, {"id", "r1"}, {"payload", boost::json::object{}}};
  EXPECT_EQ(v, expected);
}

TEST(NativeProtocolEncode, ErrorCarriesItsPayloadWhole) {
  std::string out;
  NativeProtocol::instance().encode_error(
      out, R"({"code":"bad_json","message":"not \"JSON\"\n","ref":"req-1"})", "req-1");
  const boost::json::value expected = {
      {"type", "error"},
      {"payload", {{"code", "bad_json"}, {"message", "not \"JSON\"\n"}, {"ref", "req-1"}}}};
  EXPECT_EQ(boost::json::parse(out), expected) << out;
}

TEST(NativeProtocolDecode, CommandOrMalformed) {
  Decoded ok = NativeProtocol::instance().decode(R"({"type":"subscribe","id":"7"})");
  EXPECT_EQ(ok.kind, Decoded::Kind::command);
  EXPECT_EQ(ok.envelope.type, "subscribe");
  EXPECT_EQ(ok.envelope.id, "7");

  Decoded bad_json = NativeProtocol::instance().decode("{not json");
  EXPECT_EQ(bad_json.kind, Decoded::Kind::malformed);
  EXPECT_EQ(bad_json.error_code, error_code::kBadJson);

  Decoded no_type = NativeProtocol::instance().decode(R"({"payload":{}})");
  EXPECT_EQ(no_type.kind, Decoded::Kind::malformed);
  EXPECT_EQ(no_type.error_code, error_code::kBadRequest);
}

}  // namespace
}  // namespace switchboard::node
