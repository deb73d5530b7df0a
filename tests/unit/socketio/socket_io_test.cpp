#include "switchboard/socketio/socket_io.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::socketio {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t kMaxAttachments = 10;  // socket.io-parser's default maxAttachments

SioPacket parse_ok(std::string_view text) {
  const SioParse r = parse_sio(text, kMaxAttachments);
  EXPECT_TRUE(r.ok()) << text << ": " << r.detail;
  return r.packet;
}

SioError parse_error(std::string_view text, std::size_t max_attachments = kMaxAttachments) {
  const SioParse r = parse_sio(text, max_attachments);
  if (!r.ok()) {
    EXPECT_FALSE(r.detail.empty()) << text;
  }
  return r.error;
}

// Vectors: socket.io-parser 4.2.7's `new Encoder().encode(packet)`, run with node against
// the node_modules the lead installs; the packet given in each comment.

TEST(SioParsePacket, Connect) {
  // {type:0, nsp:"/"}
  SioPacket p = parse_ok("0");
  EXPECT_EQ(p.type, SioType::connect);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_FALSE(p.id);
  EXPECT_EQ(p.data, "");
  // {type:0, nsp:"/admin", data:{token:"abc"}}
  p = parse_ok(R"(0/admin,{"token":"abc"})");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data, R"({"token":"abc"})");
}

TEST(SioParsePacket, ANamespaceMayEndTheText) {
  // The reference decoder reads "0/admin" as {type:0, nsp:"/admin"}.
  const SioPacket p = parse_ok("0/admin");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data, "");
}

TEST(SioParsePacket, Disconnect) {
  // {type:1, nsp:"/admin"}
  const SioPacket p = parse_ok("1/admin,");
  EXPECT_EQ(p.type, SioType::disconnect);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(parse_ok("1").nsp, "/");
}

TEST(SioParsePacket, Event) {
  // {type:2, nsp:"/", data:["hello",1,{a:[true,null]}]}
  SioPacket p = parse_ok(R"(2["hello",1,{"a":[true,null]}])");
  EXPECT_EQ(p.type, SioType::event);
  EXPECT_EQ(p.data, R"(["hello",1,{"a":[true,null]}])");
  // {type:2, nsp:"/chat", id:12, data:["msg",'hi "you"\n']}
  p = parse_ok(R"(2/chat,12["msg","hi \"you\"\n"])");
  EXPECT_EQ(p.nsp, "/chat");
  EXPECT_EQ(p.id, 12u);
  EXPECT_EQ(p.data, R"(["msg","hi \"you\"\n"])");
  // The reference reads leading zeros: "2/a,007["x"]" has id 7.
  EXPECT_EQ(parse_ok(R"(2/a,007["x"])").id, 7u);
  // ... and a number for a name: "2[5]".
  EXPECT_EQ(parse_ok("2[5]").data, "[5]");
}

TEST(SioParsePacket, Ack) {
  // {type:3, nsp:"/", id:7, data:["ok",2]}
  SioPacket p = parse_ok(R"(37["ok",2])");
  EXPECT_EQ(p.type, SioType::ack);
  EXPECT_EQ(p.id, 7u);
  EXPECT_EQ(p.data, R"(["ok",2])");
  // {type:3, nsp:"/chat", id:13, data:[]}
  p = parse_ok("3/chat,13[]");
  EXPECT_EQ(p.nsp, "/chat");
  EXPECT_EQ(p.id, 13u);
  EXPECT_EQ(p.data, "[]");
  EXPECT_EQ(parse_ok("3").data, "");  // no arguments, as the reference accepts
}

TEST(SioParsePacket, ConnectError) {
  // {type:4, nsp:"/", data:{message:"Not authorized", data:{reason:"token"}}}
  SioPacket p = parse_ok(R"(4{"message":"Not authorized","data":{"reason":"token"}})");
  EXPECT_EQ(p.type, SioType::connect_error);
  EXPECT_EQ(p.data, R"({"message":"Not authorized","data":{"reason":"token"}})");
  EXPECT_EQ(parse_ok(R"(4"oops")").data, R"("oops")");
}

TEST(SioParsePacket, BinaryEventAndAck) {
  // {type:2, nsp:"/", data:["upload", Buffer.from([1,2,3])]} -> header, then one buffer
  SioPacket p = parse_ok(R"(51-["upload",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(p.type, SioType::binary_event);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(p.nsp, "/");
  // {type:2, nsp:"/files", id:5, data:["pair",{a:Buffer("hi"), b:[Buffer([0xff,0])]}]}
  p = parse_ok(
      R"(52-/files,5["pair",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1}]}])");
  EXPECT_EQ(p.attachments, 2u);
  EXPECT_EQ(p.nsp, "/files");
  EXPECT_EQ(p.id, 5u);
  // {type:3, nsp:"/", id:9, data:[Buffer.from("xyz")]}
  p = parse_ok(R"(61-9[{"_placeholder":true,"num":0}])");
  EXPECT_EQ(p.type, SioType::binary_ack);
  EXPECT_EQ(p.id, 9u);
  EXPECT_EQ(p.data, R"([{"_placeholder":true,"num":0}])");
}

TEST(SioParsePacket, RefusesBadTypes) {
  EXPECT_EQ(parse_error(""), SioError::bad_type);
  EXPECT_EQ(parse_error("7"), SioError::bad_type);
  EXPECT_EQ(parse_error("a[]"), SioError::bad_type);
  EXPECT_EQ(parse_error(" 0"), SioError::bad_type);
}

TEST(SioParsePacket, RefusesBadAttachmentCounts) {
  EXPECT_EQ(parse_error(R"(5["a"])"), SioError::bad_attachments);   // no count
  EXPECT_EQ(parse_error(R"(5-["a"])"), SioError::bad_attachments);  // empty count
  EXPECT_EQ(parse_error(R"(51["a"])"), SioError::bad_attachments);  // no '-'
  EXPECT_EQ(parse_error("51"), SioError::bad_attachments);
  EXPECT_EQ(parse_error(R"(50-["a"])"), SioError::bad_attachments);   // the reference wants >= 1
  EXPECT_EQ(parse_error(R"(511-["a"])"), SioError::bad_attachments);  // over 10
  EXPECT_EQ(parse_error(R"(53-["a"])", 2), SioError::bad_attachments);
  EXPECT_EQ(parse_error(R"(599999999999999999999999-["a"])"), SioError::bad_attachments);
  EXPECT_EQ(parse_error(R"(61-[])", 0), SioError::bad_attachments);
}

TEST(SioParsePacket, RefusesAnUnterminatedNamespaceBeforeEventData) {
  // The reference reads this as an event to namespace `/chat["x"]` without data, and refuses it.
  EXPECT_EQ(parse_error(R"(2/chat["x"])"), SioError::bad_namespace);
  EXPECT_EQ(parse_error(R"(51-/chat["x"])"), SioError::bad_namespace);
}

TEST(SioParsePacket, RefusesIdsBeyondTwoToThe53) {
  EXPECT_EQ(parse_ok(R"(29007199254740991["a"])").id, kMaxAckId);
  EXPECT_EQ(parse_error(R"(29007199254740992["a"])"), SioError::bad_id);
  // The reference reads this one as 1234567890123456800.
  EXPECT_EQ(parse_error(R"(21234567890123456789["a"])"), SioError::bad_id);
  EXPECT_EQ(parse_error("3/x,99999999999999999999999999999999[]"), SioError::bad_id);
}

TEST(SioParsePacket, RefusesBadJson) {
  EXPECT_EQ(parse_error(R"(2["a",])"), SioError::bad_json);
  EXPECT_EQ(parse_error(R"(0{"a":})"), SioError::bad_json);
  EXPECT_EQ(parse_error("3 5[]"), SioError::bad_json);  // the reference takes ' ' as a digit
  EXPECT_EQ(parse_error(R"(2["a"]x)"), SioError::bad_json);
  EXPECT_EQ(parse_error("4oops"), SioError::bad_json);
}

TEST(SioParsePacket, RefusesJsonNestedTooDeep) {
  // 64 levels in all, the event's array counting as one.
  const std::string ok = "2[\"a\"," + std::string(63, '[') + "1" + std::string(63, ']') + "]";
  parse_ok(ok);
  const std::string deep = "2[\"a\"," + std::string(64, '[') + "1" + std::string(64, ']') + "]";
  EXPECT_EQ(parse_error(deep), SioError::bad_json);
}

TEST(SioParsePacket, RefusesPayloadsOfTheWrongShape) {
  EXPECT_EQ(parse_error("0[]"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(0"x")"), SioError::bad_payload);
  EXPECT_EQ(parse_error("1{}"), SioError::bad_payload);
  EXPECT_EQ(parse_error("1/a,[]"), SioError::bad_payload);
  EXPECT_EQ(parse_error("4[]"), SioError::bad_payload);
  EXPECT_EQ(parse_error("4 12"), SioError::bad_payload);  // JSON may start with spaces
  EXPECT_EQ(parse_error("4true"), SioError::bad_payload);
  // "412" is a CONNECT_ERROR with ack id 12 and no data to the reference (any type takes an id).
  EXPECT_EQ(parse_ok("412").id, 12u);
  EXPECT_EQ(parse_error("3{}"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(61-{"_placeholder":true,"num":0})"), SioError::bad_payload);
}

TEST(SioParsePacket, RefusesEventsThatAreNotANamedArray) {
  EXPECT_EQ(parse_error("2"), SioError::bad_payload);  // the reference lets this one through
  EXPECT_EQ(parse_error("2/chat,"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(2{"a":1})"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(2"a")"), SioError::bad_payload);
  EXPECT_EQ(parse_error("2[]"), SioError::bad_payload);
  EXPECT_EQ(parse_error("2[null]"), SioError::bad_payload);
  EXPECT_EQ(parse_error("2[{}]"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(2[["a"]])"), SioError::bad_payload);
  EXPECT_EQ(parse_error("2[true]"), SioError::bad_payload);
  EXPECT_EQ(parse_error(R"(51-[{"_placeholder":true,"num":0}])"), SioError::bad_payload);
}

TEST(SioParsePacket, RefusesReservedEventNames) {
  // The reference refuses '2["connect"]' with "invalid payload".
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                           "removeListener"}) {
    EXPECT_EQ(parse_error("2[\"" + std::string(name) + "\",1]"), SioError::bad_payload) << name;
    EXPECT_TRUE(is_reserved_event_name(name));
  }
  // An escaped spelling is the same name.
  EXPECT_EQ(parse_error(R"(2["\u0063onnect"])"), SioError::bad_payload);
  EXPECT_FALSE(is_reserved_event_name("Connect"));
  parse_ok(R"(2["connected"])");
}

TEST(SioSplitEvent, CutsNameAndRawArguments) {
  const std::string data = R"([ "hello" , 1.50, {"a":[true,null]} ,"x\"y" ])";
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> args;
  ASSERT_TRUE(split_event(data, buffer, name, args));
  EXPECT_EQ(name, "hello");
  EXPECT_GE(name.data(), data.data());
  EXPECT_LT(name.data(), data.data() + data.size());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], "1.50");  // as written: no re-serialising
  EXPECT_EQ(args[1], R"({"a":[true,null]})");
  EXPECT_EQ(args[2], R"("x\"y")");
}

TEST(SioSplitEvent, DecodesAnEscapedNameIntoTheBuffer) {
  // socket.io-parser encoding of {type:2, data:["café \u2028", 1]}: JSON.stringify leaves the
  // characters as they are; the escaped spelling below is the same name.
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> args;
  ASSERT_TRUE(split_event("[\"caf\xc3\xa9 \xe2\x80\xa8\",1]", buffer, name, args));
  EXPECT_EQ(name, "caf\xc3\xa9 \xe2\x80\xa8");
  ASSERT_TRUE(split_event(R"(["caf\u00e9 \u2028\n",1])", buffer, name, args));
  EXPECT_EQ(name, "caf\xc3\xa9 \xe2\x80\xa8\n");
  EXPECT_EQ(name.data(), buffer.data());
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "1");
}

TEST(SioSplitEvent, ANumberNameIsItsText) {
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> args;
  ASSERT_TRUE(split_event("[5]", buffer, name, args));
  EXPECT_EQ(name, "5");
  EXPECT_TRUE(args.empty());
}

TEST(SioSplitEvent, RefusesWhatIsNotANamedArray) {
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> args;
  for (const std::string_view data :
       {""sv, "[]"sv, "{}"sv, "[null]"sv, "[{}]"sv, R"(["a")"sv, R"(["a",)"sv, R"("a")"sv}) {
    args.push_back("stale");
    EXPECT_FALSE(split_event(data, buffer, name, args)) << data;
    EXPECT_TRUE(args.empty()) << data;
  }
}

TEST(SioEncoders, WriteWhatTheReferenceEncoderWrites) {
  std::string out;
  // {type:0, nsp:"/", data:{sid:"oSO0OpakMV_3jnilAAAA"}}
  append_connect(out, "/", "oSO0OpakMV_3jnilAAAA");
  EXPECT_EQ(out, R"(0{"sid":"oSO0OpakMV_3jnilAAAA"})");
  out.clear();
  append_connect(out, "/admin", "s");
  EXPECT_EQ(out, R"(0/admin,{"sid":"s"})");
  out.clear();
  // {type:1, nsp:"/admin"}
  append_disconnect(out, "/admin");
  EXPECT_EQ(out, "1/admin,");
  out.clear();
  append_disconnect(out, "/");
  EXPECT_EQ(out, "1");
  out.clear();
  // {type:2, nsp:"/", data:["hello",1,{a:[true,null]}]}
  const std::string_view hello_args[] = {"1", R"({"a":[true,null]})"};
  append_event(out, "/", std::nullopt, "hello", hello_args);
  EXPECT_EQ(out, R"(2["hello",1,{"a":[true,null]}])");
  out.clear();
  // {type:2, nsp:"/chat", id:12, data:["msg",'hi "you"\n']}
  const std::string_view msg_args[] = {R"("hi \"you\"\n")"};
  append_event(out, "/chat", 12, "msg", msg_args);
  EXPECT_EQ(out, R"(2/chat,12["msg","hi \"you\"\n"])");
  out.clear();
  // {type:3, nsp:"/", id:7, data:["ok",2]}
  const std::string_view ok_args[] = {R"("ok")", "2"};
  append_ack(out, "/", 7, ok_args);
  EXPECT_EQ(out, R"(37["ok",2])");
  out.clear();
  // {type:3, nsp:"/chat", id:13, data:[]}
  append_ack(out, "/chat", 13, {});
  EXPECT_EQ(out, "3/chat,13[]");
  out.clear();
  // {type:4, nsp:"/", data:{message:"Not authorized", data:{reason:"token"}}}
  append_connect_error(out, "/", "Not authorized", R"({"reason":"token"})");
  EXPECT_EQ(out, R"(4{"message":"Not authorized","data":{"reason":"token"}})");
  out.clear();
  append_connect_error(out, "/admin", "No \"way\"");
  EXPECT_EQ(out, R"(4/admin,{"message":"No \"way\""})");
}

TEST(SioEncoders, EscapeEventNames) {
  std::string out;
  append_event(out, "/", std::nullopt, "a\"b\\c\n\x01", {});
  EXPECT_EQ(out, R"(2["a\"b\\c\n\u0001"])");
}

TEST(SioEncoders, AppendAfterTheEngineIoPrefix) {
  std::string out = "4";
  append_event(out, "/", 1, "x", {});
  EXPECT_EQ(out, R"(421["x"])");
}

TEST(SioRoundTrip, EncodedPacketsParseBack) {
  std::string out;
  const std::string_view args[] = {R"({"k":[1,2,{"z":null}]})", R"("s")", "-0.5e3"};
  append_event(out, "/room/1", kMaxAckId, "na\"me", args);
  const SioPacket p = parse_ok(out);
  EXPECT_EQ(p.type, SioType::event);
  EXPECT_EQ(p.nsp, "/room/1");
  EXPECT_EQ(p.id, kMaxAckId);
  std::string buffer;
  std::string_view name;
  std::vector<std::string_view> split;
  ASSERT_TRUE(split_event(p.data, buffer, name, split));
  EXPECT_EQ(name, "na\"me");
  EXPECT_EQ(split, std::vector<std::string_view>(std::begin(args), std::end(args)));

  out.clear();
  append_ack(out, "/x", 0, args);
  const SioPacket ack = parse_ok(out);
  EXPECT_EQ(ack.type, SioType::ack);
  EXPECT_EQ(ack.id, 0u);
  out.clear();
  append_connect_error(out, "/x", "m", "[1]");
  EXPECT_EQ(parse_ok(out).type, SioType::connect_error);
  out.clear();
  append_connect(out, "/x", "sid");
  EXPECT_EQ(parse_ok(out).type, SioType::connect);
  out.clear();
  append_disconnect(out, "/x");
  EXPECT_EQ(parse_ok(out).nsp, "/x");
}

}  // namespace
}  // namespace switchboard::socketio
