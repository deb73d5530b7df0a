#include "switchboard/ws/message_reader.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "frame_test_util.hpp"
#include "switchboard/ws/close_code.hpp"
#include "switchboard/ws/deflate.hpp"

namespace switchboard::ws {
namespace {

using test::ClientFrame;
using test::close_body;
using test::encode;
using test::Event;
using test::feed_all;
using test::feed_pieces;
using test::frame;
using test::Recorder;
using test::text;

ReaderLimits limits(std::size_t max = 1 << 20) {
  ReaderLimits l;
  l.max_message_size = max;
  return l;
}

// Frames in every length form, masked, with a fragmented message that has a ping between
// its fragments, ending with a close.
std::string mixed_stream() {
  std::string s;
  s += text("Hello");
  ClientFrame bin;
  bin.opcode = 0x2;
  for (int i = 0; i < 200; ++i) bin.payload.push_back(static_cast<char>(i));
  s += encode(bin);  // 16-bit length
  ClientFrame wide;
  wide.payload = "h\xC3\xA9llo w\xC3\xB6rld";
  wide.length_bits = 64;  // non-minimal 64-bit length: allowed
  s += encode(wide);
  ClientFrame narrow16;
  narrow16.opcode = 0x2;
  narrow16.payload = "abc";
  narrow16.length_bits = 16;  // non-minimal 16-bit length
  s += encode(narrow16);
  s += text("fr\xE2\x82", false);  // a 3-byte character split across fragments
  s += frame(0x9, "ping!");
  s += frame(0x0,
             "\xAC"
             "agmen",
             false);
  s += frame(0xA, "");
  s += frame(0x0, "ted", true);
  s += frame(0x2, "");  // empty message
  s += frame(0x8, close_body(1000, "bye"));
  return s;
}

std::vector<Event> mixed_expected() {
  std::string bin;
  for (int i = 0; i < 200; ++i) bin.push_back(static_cast<char>(i));
  return {
      {Event::kMessage, Opcode::text, "Hello", 0},
      {Event::kMessage, Opcode::binary, bin, 0},
      {Event::kMessage, Opcode::text, "h\xC3\xA9llo w\xC3\xB6rld", 0},
      {Event::kMessage, Opcode::binary, "abc", 0},
      {Event::kPing, Opcode::ping, "ping!", 0},
      {Event::kPong, Opcode::pong, "", 0},
      {Event::kMessage, Opcode::text,
       "fr\xE2\x82\xAC"
       "agmented",
       0},
      {Event::kMessage, Opcode::binary, "", 0},
      {Event::kClose, Opcode::close, "bye", 1000},
  };
}

TEST(MessageReader, WholeStreamInOneRead) {
  MessageReader reader(limits());
  Recorder rec;
  ASSERT_FALSE(feed_all(reader, mixed_stream(), rec));
  EXPECT_EQ(rec.events, mixed_expected());
  EXPECT_TRUE(reader.closed());
  EXPECT_TRUE(reader.idle());
}

TEST(MessageReader, SplitAtEveryByteBoundary) {
  const std::string stream = mixed_stream();
  const auto expected = mixed_expected();
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    MessageReader reader(limits());
    Recorder rec;
    ASSERT_FALSE(feed_pieces(reader, stream, {cut}, rec)) << cut;
    ASSERT_EQ(rec.events, expected) << "cut at " << cut;
  }
}

TEST(MessageReader, SplitAtEveryPairOfBoundariesInAFragmentedMessage) {
  std::string stream = text("ab", false) + frame(0x9, "p") + frame(0x0, "cd", true);
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      MessageReader reader(limits());
      Recorder rec;
      ASSERT_FALSE(feed_pieces(reader, stream, {a, b}, rec));
      const std::vector<Event> expected = {{Event::kPing, Opcode::ping, "p", 0},
                                           {Event::kMessage, Opcode::text, "abcd", 0}};
      ASSERT_EQ(rec.events, expected) << a << "," << b;
    }
  }
}

TEST(MessageReader, OneByteAtATime) {
  const std::string stream = mixed_stream();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  MessageReader reader(limits());
  Recorder rec;
  ASSERT_FALSE(feed_pieces(reader, stream, cuts, rec));
  EXPECT_EQ(rec.events, mixed_expected());
}

TEST(MessageReader, LargeMessageWith64BitLength) {
  ClientFrame f;
  f.opcode = 0x2;
  f.payload.resize(70000);
  for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] = static_cast<char>(i * 7);
  const std::string bytes = encode(f);
  ASSERT_EQ(static_cast<unsigned char>(bytes[1]), 0x80 | 127);
  for (std::size_t cut : {0u, 1u, 2u, 5u, 9u, 10u, 13u, 14u, 15u, 1000u, 69999u, 70013u, 70014u}) {
    MessageReader reader(limits());
    Recorder rec;
    ASSERT_FALSE(feed_pieces(reader, bytes, {cut}, rec));
    ASSERT_EQ(rec.events.size(), 1u);
    EXPECT_EQ(rec.events[0].payload, f.payload) << cut;
  }
}

TEST(MessageReader, WholeMessageIsDeliveredWithoutCopy) {
  MessageReader reader(limits());
  Recorder rec;
  std::string bytes = text("zero copy please");
  ASSERT_FALSE(reader.feed(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size(), rec));
  ASSERT_EQ(rec.message_data.size(), 1u);
  EXPECT_EQ(rec.message_data[0], bytes.data() + 6);  // 2-byte header + 4-byte mask
  EXPECT_EQ(bytes.substr(6), "zero copy please");    // unmasked in place
}

TEST(MessageReader, SpanningMessageIsCopiedAndReleased) {
  MessageReader reader(limits());
  Recorder rec;
  const std::string bytes = text("first", false) + frame(0x0, "second");
  std::string first = bytes.substr(0, 8);
  std::string rest = bytes.substr(8);
  ASSERT_FALSE(reader.feed(reinterpret_cast<std::uint8_t*>(first.data()), first.size(), rec));
  EXPECT_FALSE(reader.idle());
  ASSERT_FALSE(reader.feed(reinterpret_cast<std::uint8_t*>(rest.data()), rest.size(), rec));
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].payload, "firstsecond");
  EXPECT_TRUE(rec.message_data[0] < rest.data() ||
              rec.message_data[0] >= rest.data() + rest.size());
  EXPECT_TRUE(reader.idle());
}

TEST(MessageReader, IdleOnlyBetweenMessages) {
  MessageReader reader(limits());
  Recorder rec;
  EXPECT_TRUE(reader.idle());
  const std::string bytes = text("hello");
  ASSERT_FALSE(feed_pieces(reader, bytes.substr(0, 1), {}, rec));
  EXPECT_FALSE(reader.idle());  // partial header
  ASSERT_FALSE(feed_pieces(reader, bytes.substr(1, 7), {}, rec));
  EXPECT_FALSE(reader.idle());  // partial payload
  ASSERT_FALSE(feed_pieces(reader, bytes.substr(8), {}, rec));
  EXPECT_TRUE(reader.idle());
  ASSERT_EQ(rec.events.size(), 1u);
}

// --- Errors -----------------------------------------------------------------------------------

ReadError error_for(const std::string& bytes, ReaderLimits l = limits(), bool deflate = false) {
  MessageReader reader(l);
  if (deflate) reader.enable_deflate(std::make_unique<Inflater>(DeflateAgreement{}));
  Recorder rec;
  return feed_all(reader, bytes, rec);
}

TEST(MessageReader, UnmaskedFrameIs1002) {
  ClientFrame f;
  f.payload = "x";
  f.masked = false;
  EXPECT_EQ(error_for(encode(f)).code, close_code::kProtocolError);
  ReaderLimits lax = limits();
  lax.require_mask = false;
  EXPECT_FALSE(error_for(encode(f), lax));
}

TEST(MessageReader, ReservedBitsAre1002) {
  for (std::uint8_t bits : {0x20, 0x10}) {
    ClientFrame f;
    f.payload = "x";
    f.extra_b0 = bits;
    EXPECT_EQ(error_for(encode(f)).code, close_code::kProtocolError);
    EXPECT_EQ(error_for(encode(f), limits(), true).code, close_code::kProtocolError);
  }
}

TEST(MessageReader, Rsv1RulesFollowDeflateNegotiation) {
  ClientFrame f;
  f.payload = "x";
  f.rsv1 = true;
  EXPECT_EQ(error_for(encode(f)).code, close_code::kProtocolError);  // not negotiated
  ClientFrame ping;
  ping.opcode = 0x9;
  ping.rsv1 = true;
  EXPECT_EQ(error_for(encode(ping), limits(), true).code, close_code::kProtocolError);
  ClientFrame cont;
  cont.opcode = 0x0;
  cont.rsv1 = true;
  EXPECT_EQ(error_for(text("a", false) + encode(cont), limits(), true).code,
            close_code::kProtocolError);
}

TEST(MessageReader, ReservedOpcodesAre1002) {
  for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    EXPECT_EQ(error_for(frame(op, "x")).code, close_code::kProtocolError) << int(op);
  }
}

TEST(MessageReader, ControlFrameRules) {
  EXPECT_EQ(error_for(frame(0x9, std::string(126, 'p'))).code, close_code::kProtocolError);
  EXPECT_FALSE(error_for(frame(0x9, std::string(125, 'p'))));
  EXPECT_EQ(error_for(frame(0x9, "p", false)).code, close_code::kProtocolError);
}

TEST(MessageReader, FragmentationRules) {
  EXPECT_EQ(error_for(frame(0x0, "orphan")).code, close_code::kProtocolError);
  EXPECT_EQ(error_for(text("a", false) + text("b")).code, close_code::kProtocolError);
  EXPECT_EQ(error_for(text("a", false) + frame(0x2, "b")).code, close_code::kProtocolError);
}

TEST(MessageReader, CloseFrameValidation) {
  EXPECT_EQ(error_for(frame(0x8, "\x03")).code, close_code::kProtocolError);  // 1-byte body
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    EXPECT_EQ(error_for(frame(0x8, close_body(code))).code, close_code::kProtocolError) << code;
  }
  for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
    MessageReader reader(limits());
    Recorder rec;
    ASSERT_FALSE(feed_all(reader, frame(0x8, close_body(code, "ok")), rec)) << code;
    ASSERT_EQ(rec.events.size(), 1u);
    EXPECT_EQ(rec.events[0].code, code);
  }
  EXPECT_EQ(error_for(frame(0x8, close_body(1000, "\xFF"))).code, close_code::kInvalidPayload);
}

TEST(MessageReader, EmptyCloseReportsNoStatus) {
  MessageReader reader(limits());
  Recorder rec;
  ASSERT_FALSE(feed_all(reader, frame(0x8, "") + text("after close"), rec));
  ASSERT_EQ(rec.events.size(), 1u);  // nothing is read after the close frame
  EXPECT_EQ(rec.events[0].code, close_code::kNoStatus);
  EXPECT_TRUE(reader.closed());
  std::string more = text("x");
  EXPECT_FALSE(reader.feed(reinterpret_cast<std::uint8_t*>(more.data()), more.size(), rec));
  EXPECT_EQ(rec.events.size(), 1u);
}

TEST(MessageReader, InvalidUtf8TextIs1007) {
  EXPECT_EQ(error_for(text("bad \xC0\xAF")).code, close_code::kInvalidPayload);
  EXPECT_EQ(error_for(text("cut \xE2\x82")).code, close_code::kInvalidPayload);
  EXPECT_EQ(error_for(text("\xE2", false) + frame(0x0, "x")).code, close_code::kInvalidPayload);
  // Binary messages are not validated.
  EXPECT_FALSE(error_for(frame(0x2, "\xFF\xFE")));
}

TEST(MessageReader, InvalidUtf8FailsBeforeTheRestOfTheFrameArrives) {
  std::string payload = "valid start \xF4\x90";  // F4 90: above U+10FFFF
  payload += std::string(100, 'z');
  const std::string bytes = text(payload);
  const std::size_t bad_end = 2 + 4 + 14;  // header, mask, up to and including the 0x90
  MessageReader reader(limits());
  Recorder rec;
  EXPECT_FALSE(feed_pieces(reader, bytes.substr(0, bad_end - 1), {}, rec));
  ReadError e = feed_pieces(reader, bytes.substr(bad_end - 1, 1), {}, rec);
  EXPECT_EQ(e.code, close_code::kInvalidPayload);
  // Later feeds consume nothing and repeat the error.
  std::string rest = bytes.substr(bad_end);
  EXPECT_EQ(reader.feed(reinterpret_cast<std::uint8_t*>(rest.data()), rest.size(), rec).code,
            close_code::kInvalidPayload);
  EXPECT_TRUE(rec.events.empty());
}

TEST(MessageReader, InvalidUtf8FailsFastInALaterFragment) {
  MessageReader reader(limits());
  Recorder rec;
  const std::string bytes = text("ok \xED", false) + frame(0x0, "\xA0\x80 and more", true);
  // Feed up to and including the A0 byte of the second fragment.
  const std::size_t first = 2 + 4 + 4;
  const std::size_t upto = first + 2 + 4 + 1;
  EXPECT_EQ(feed_pieces(reader, bytes.substr(0, upto), {first}, rec).code,
            close_code::kInvalidPayload);
}

TEST(MessageReader, SixtyFourBitLengthWithHighBitIs1002) {
  std::string bytes = "\x82\xFF";
  bytes += std::string("\x80\x00\x00\x00\x00\x00\x00\x01", 8);
  bytes += "\x01\x02\x03\x04";
  EXPECT_EQ(error_for(bytes).code, close_code::kProtocolError);
}

TEST(MessageReader, OversizedFrameIs1009FromItsHeaderAlone) {
  ClientFrame f;
  f.opcode = 0x2;
  f.payload = std::string(1001, 'x');
  const std::string bytes = encode(f);
  MessageReader reader(limits(1000));
  Recorder rec;
  // Only the header (4 bytes) and the mask (4 bytes): the payload never arrives.
  EXPECT_EQ(feed_pieces(reader, bytes.substr(0, 8), {}, rec).code, close_code::kMessageTooBig);
  EXPECT_FALSE(error_for(frame(0x2, std::string(1000, 'x')), limits(1000)));
}

TEST(MessageReader, FragmentSumOverLimitIs1009) {
  const std::string bytes =
      frame(0x2, std::string(600, 'a'), false) + frame(0x0, std::string(401, 'b'), true);
  EXPECT_EQ(error_for(bytes, limits(1000)).code, close_code::kMessageTooBig);
  const std::string fits =
      frame(0x2, std::string(600, 'a'), false) + frame(0x0, std::string(400, 'b'), true);
  EXPECT_FALSE(error_for(fits, limits(1000)));
}

TEST(MessageReader, ErrorInFirstTwoBytesReportedBeforeTheRestOfTheHeader) {
  MessageReader reader(limits());
  Recorder rec;
  std::uint8_t b0 = 0x83;  // reserved opcode 3
  EXPECT_FALSE(reader.feed(&b0, 1, rec));
  std::uint8_t b1 = 0xFF;  // masked, 64-bit length: 12 more header bytes would follow
  EXPECT_EQ(reader.feed(&b1, 1, rec).code, close_code::kProtocolError);
}

// --- permessage-deflate -----------------------------------------------------------------------

std::unique_ptr<Inflater> make_inflater(bool client_no_context_takeover = true) {
  DeflateAgreement a;
  a.client_no_context_takeover = client_no_context_takeover;
  return std::make_unique<Inflater>(a);
}

std::string compressed_frames(const std::string& message, std::size_t fragments,
                              std::uint8_t opcode = 0x1) {
  Deflater deflater;
  const std::string z = deflater.compress(message);
  std::string out;
  const std::size_t step = (z.size() + fragments - 1) / fragments;
  for (std::size_t i = 0, off = 0; i < fragments; ++i, off += step) {
    ClientFrame f;
    f.opcode = i == 0 ? opcode : 0x0;
    f.rsv1 = i == 0;
    f.fin = i + 1 == fragments;
    f.payload = off < z.size() ? z.substr(off, step) : std::string();
    out += encode(f);
  }
  return out;
}

TEST(MessageReader, InflatesCompressedMessagesSplitAnywhere) {
  std::string message;
  for (int i = 0; i < 40; ++i) message += "{\"type\":\"tick\",\"n\":" + std::to_string(i) + "} ";
  message += "\xC3\xA9";
  const std::string stream = compressed_frames(message, 3) + frame(0x9, "p") +
                             compressed_frames("second", 1) + text("plain");
  const std::vector<Event> expected = {{Event::kMessage, Opcode::text, message, 0},
                                       {Event::kPing, Opcode::ping, "p", 0},
                                       {Event::kMessage, Opcode::text, "second", 0},
                                       {Event::kMessage, Opcode::text, "plain", 0}};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    MessageReader reader(limits());
    reader.enable_deflate(make_inflater());
    Recorder rec;
    ASSERT_FALSE(feed_pieces(reader, stream, {cut}, rec)) << cut;
    ASSERT_EQ(rec.events, expected) << cut;
    EXPECT_TRUE(reader.idle());
  }
}

TEST(MessageReader, InflateErrorIs1007) {
  ClientFrame f;
  f.rsv1 = true;
  f.payload = "\xFF\xFF\xFF\xFF garbage";
  EXPECT_EQ(error_for(encode(f), limits(), true).code, close_code::kInvalidPayload);
}

TEST(MessageReader, InflatedSizeOverLimitIs1009) {
  const std::string big(100000, 'a');  // compresses to a few hundred bytes
  EXPECT_EQ(error_for(compressed_frames(big, 1, 0x2), limits(1000), true).code,
            close_code::kMessageTooBig);
  EXPECT_FALSE(error_for(compressed_frames(big, 1, 0x2), limits(100000), true));
}

TEST(MessageReader, InflatedTextIsValidated) {
  EXPECT_EQ(error_for(compressed_frames("bad \xFF text", 1), limits(), true).code,
            close_code::kInvalidPayload);
}

}  // namespace
}  // namespace switchboard::ws
