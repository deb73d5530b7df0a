#include "switchboard/socketio/binary_attachments.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::socketio {
namespace {

using namespace std::literals;

SioPacket header(std::string_view text) {
  const SioParse r = parse_sio(text, 10);
  EXPECT_TRUE(r.ok()) << text << ": " << r.detail;
  return r.packet;
}

// Vectors: socket.io-parser 4.2.7's `new Encoder().encode(packet)` (node), which gives the
// header string and then the buffers, shown here in hex.

TEST(SioBinaryAssembler, AssemblesOneAttachment) {
  // {type:2, nsp:"/", data:["upload", Buffer.from([1,2,3])]} -> header, 010203
  BinaryAssembler assembler(10, 1024);
  ASSERT_EQ(assembler.start(header(R"(51-["upload",{"_placeholder":true,"num":0}])")),
            BinaryError::none);
  EXPECT_TRUE(assembler.collecting());
  EXPECT_EQ(assembler.missing(), 1u);
  EXPECT_EQ(assembler.assembled_json(), "");
  ASSERT_EQ(assembler.add("\x01\x02\x03"sv), BinaryError::none);
  ASSERT_TRUE(assembler.complete());
  EXPECT_EQ(assembler.type(), SioType::event);
  EXPECT_EQ(assembler.nsp(), "/");
  EXPECT_FALSE(assembler.id());
  EXPECT_EQ(assembler.assembled_json(), R"(["upload",{"$binary":"AQID"}])");
}

TEST(SioBinaryAssembler, AssemblesNestedAttachmentsWithNamespaceAndId) {
  // {type:2, nsp:"/files", id:5, data:["pair",{a:Buffer.from("hi"), b:[Buffer.from([0xff,0])]}]}
  // -> header, 6869, ff00
  BinaryAssembler assembler(10, 1024);
  std::string text =
      R"(52-/files,5["pair",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1}]}])";
  ASSERT_EQ(assembler.start(header(text)), BinaryError::none);
  text.assign(text.size(), '?');  // the header's text is gone before the frames come
  ASSERT_EQ(assembler.add("hi"), BinaryError::none);
  EXPECT_FALSE(assembler.complete());
  ASSERT_EQ(assembler.add("\xff\x00"sv), BinaryError::none);
  ASSERT_TRUE(assembler.complete());
  EXPECT_EQ(assembler.nsp(), "/files");
  EXPECT_EQ(assembler.id(), 5u);
  EXPECT_EQ(assembler.assembled_json(),
            R"(["pair",{"a":{"$binary":"aGk="},"b":[{"$binary":"/wA="}]}])");
}

TEST(SioBinaryAssembler, AssemblesABinaryAck) {
  // {type:3, nsp:"/", id:9, data:[Buffer.from("xyz")]} -> header, 78797a
  BinaryAssembler assembler(10, 1024);
  ASSERT_EQ(assembler.start(header(R"(61-9[{"_placeholder":true,"num":0}])")), BinaryError::none);
  ASSERT_EQ(assembler.add("xyz"), BinaryError::none);
  EXPECT_EQ(assembler.type(), SioType::ack);
  EXPECT_EQ(assembler.id(), 9u);
  EXPECT_EQ(assembler.assembled_json(), R"([{"$binary":"eHl6"}])");
}

TEST(SioBinaryAssembler, PlaceholdersMayRepeatAndComeInAnyOrder) {
  BinaryAssembler assembler(10, 1024);
  ASSERT_EQ(
      assembler.start(header(
          R"(52-["a",{"num":1,"_placeholder":true},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")),
      BinaryError::none);
  ASSERT_EQ(assembler.add("0"), BinaryError::none);
  ASSERT_EQ(assembler.add("1"), BinaryError::none);
  EXPECT_EQ(assembler.assembled_json(),
            R"(["a",{"$binary":"MQ=="},{"$binary":"MA=="},{"$binary":"MQ=="}])");
}

TEST(SioBinaryAssembler, OtherObjectsStayAsWritten) {
  BinaryAssembler assembler(10, 1024);
  ASSERT_EQ(assembler.start(header(
                R"(51-["a",{"_placeholder":false,"x":{"_placeholder":true,"num":0}}, 1.50])")),
            BinaryError::none);
  ASSERT_EQ(assembler.add(""), BinaryError::none);
  EXPECT_EQ(assembler.assembled_json(), R"(["a",{"_placeholder":false,"x":{"$binary":""}}, 1.50])");
}

TEST(SioBinaryAssembler, RefusesPlaceholdersOutOfRange) {
  BinaryAssembler assembler(10, 1024);
  EXPECT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true,"num":1}])")),
            BinaryError::bad_placeholder);
  EXPECT_FALSE(assembler.collecting());
  EXPECT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true,"num":-1}])")),
            BinaryError::bad_placeholder);
  EXPECT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true,"num":"0"}])")),
            BinaryError::bad_placeholder);
  EXPECT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true}])")),
            BinaryError::bad_placeholder);
  EXPECT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true,"num":99999999999999999999}])")),
            BinaryError::bad_placeholder);
}

TEST(SioBinaryAssembler, RefusesAttachmentsNoPlaceholderUses) {
  BinaryAssembler assembler(10, 1024);
  EXPECT_EQ(assembler.start(header(R"(52-["a",{"_placeholder":true,"num":0}])")),
            BinaryError::unused_attachment);
  EXPECT_EQ(assembler.start(header(R"(51-["a"])")), BinaryError::unused_attachment);
}

TEST(SioBinaryAssembler, RefusesTooManyAttachments) {
  BinaryAssembler assembler(1, 1024);
  EXPECT_EQ(assembler.start(
                header(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")),
            BinaryError::too_many_attachments);
}

TEST(SioBinaryAssembler, RefusesAttachmentsOverTheByteLimit) {
  BinaryAssembler assembler(10, 5);
  const SioPacket two =
      header(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_EQ(assembler.start(two), BinaryError::none);
  ASSERT_EQ(assembler.add("abc"), BinaryError::none);
  EXPECT_EQ(assembler.add("def"), BinaryError::too_large);
  EXPECT_FALSE(assembler.collecting());
  EXPECT_FALSE(assembler.complete());
  EXPECT_EQ(assembler.assembled_json(), "");
  // The count restarts with the next packet.
  ASSERT_EQ(assembler.start(two), BinaryError::none);
  ASSERT_EQ(assembler.add("abc"), BinaryError::none);
  EXPECT_EQ(assembler.add("de"), BinaryError::none);
  EXPECT_TRUE(assembler.complete());
}

TEST(SioBinaryAssembler, RefusesPacketsAndFramesOutOfTurn) {
  BinaryAssembler assembler(10, 1024);
  EXPECT_EQ(assembler.add("x"), BinaryError::unexpected_attachment);
  EXPECT_EQ(assembler.start(header(R"(2["a"])")), BinaryError::not_binary);
  ASSERT_EQ(assembler.start(header(R"(51-["a",{"_placeholder":true,"num":0}])")),
            BinaryError::none);
  ASSERT_EQ(assembler.add("x"), BinaryError::none);
  EXPECT_EQ(assembler.add("y"), BinaryError::unexpected_attachment);
  EXPECT_FALSE(assembler.complete());
}

TEST(SioBinaryAssembler, DescribesEveryError) {
  for (const BinaryError e :
       {BinaryError::none, BinaryError::not_binary, BinaryError::too_many_attachments,
        BinaryError::bad_placeholder, BinaryError::unused_attachment, BinaryError::unreadable_json,
        BinaryError::unexpected_attachment, BinaryError::too_large}) {
    EXPECT_FALSE(describe(e).empty());
  }
}

TEST(SioEncodeBinaryEvent, WritesWhatTheReferenceEncoderWrites) {
  // {type:2, nsp:"/files", id:5, data:["pair",{a:Buffer.from("hi"), b:[Buffer.from([0xff,0])]}]}
  std::string out = "4";
  std::vector<std::string> attachments = {"stale"};
  const std::string_view args[] = {R"({"a":{"$binary":"aGk="},"b":[{"$binary":"/wA="}]})"};
  ASSERT_EQ(encode_binary_event(out, attachments, "/files", 5, "pair", args),
            BinaryEncoding::binary);
  EXPECT_EQ(
      out,
      R"(452-/files,5["pair",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1}]}])");
  EXPECT_EQ(attachments, (std::vector<std::string>{"hi", "\xff\x00"s}));
}

TEST(SioEncodeBinaryEvent, NumbersAcrossArguments) {
  // {type:2, nsp:"/", data:["upload", Buffer.from([1,2,3])]} has one argument; two here.
  std::string out;
  std::vector<std::string> attachments;
  const std::string_view args[] = {R"({"$binary":"AQID"})", "7", R"([{"$binary":""}])"};
  ASSERT_EQ(encode_binary_event(out, attachments, "/", std::nullopt, "upload", args),
            BinaryEncoding::binary);
  EXPECT_EQ(out,
            R"(52-["upload",{"_placeholder":true,"num":0},7,[{"_placeholder":true,"num":1}]])");
  EXPECT_EQ(attachments, (std::vector<std::string>{"\x01\x02\x03"s, ""}));
}

TEST(SioEncodeBinaryEvent, WithoutBinaryObjectsWritesNothing) {
  std::string out = "4";
  std::vector<std::string> attachments;
  // {"$binary":…} with another member, or not a string, is an ordinary object.
  const std::string_view args[] = {R"({"$binary":"AQID","x":1})", R"({"$binary":1})", "[]"};
  EXPECT_EQ(encode_binary_event(out, attachments, "/", 1, "e", args), BinaryEncoding::plain);
  EXPECT_EQ(out, "4");
  EXPECT_TRUE(attachments.empty());
}

TEST(SioEncodeBinaryEvent, RefusesBadBase64) {
  std::string out;
  std::vector<std::string> attachments;
  const std::string_view args[] = {R"({"$binary":"AQID"})", R"({"$binary":"A"})"};
  EXPECT_EQ(encode_binary_event(out, attachments, "/", 1, "e", args), BinaryEncoding::bad_base64);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(attachments.empty());
}

TEST(SioEncodeBinaryAck, WritesWhatTheReferenceEncoderWrites) {
  // {type:3, nsp:"/", id:9, data:[Buffer.from("xyz")]}
  std::string out;
  std::vector<std::string> attachments;
  const std::string_view args[] = {R"({"$binary":"eHl6"})"};
  ASSERT_EQ(encode_binary_ack(out, attachments, "/", 9, args), BinaryEncoding::binary);
  EXPECT_EQ(out, R"(61-9[{"_placeholder":true,"num":0}])");
  EXPECT_EQ(attachments, std::vector<std::string>{"xyz"});
}

TEST(SioBinaryRoundTrip, EncodedPacketsAssembleBack) {
  const std::string_view args[] = {R"({"file":{"$binary":"AAEC/w=="},"name":"f"})",
                                   R"([{"$binary":"aGk="},{"$binary":""}])"};
  std::string out;
  std::vector<std::string> attachments;
  ASSERT_EQ(encode_binary_event(out, attachments, "/up", 77, "save", args), BinaryEncoding::binary);
  const SioParse parsed = parse_sio(out, 10);
  ASSERT_TRUE(parsed.ok()) << parsed.detail;
  EXPECT_EQ(parsed.packet.attachments, 3u);
  BinaryAssembler assembler(10, 1024);
  ASSERT_EQ(assembler.start(parsed.packet), BinaryError::none);
  for (const std::string& a : attachments) ASSERT_EQ(assembler.add(a), BinaryError::none);
  ASSERT_TRUE(assembler.complete());
  EXPECT_EQ(assembler.nsp(), "/up");
  EXPECT_EQ(assembler.id(), 77u);
  std::string plain;
  append_event(plain, "/", std::nullopt, "save", args);
  EXPECT_EQ(assembler.assembled_json(), plain.substr(1));  // the same array, "2" aside
}

}  // namespace
}  // namespace switchboard::socketio
