#include "switchboard/ws/frame_builder.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "frame_test_util.hpp"
#include "switchboard/ws/close_code.hpp"
#include "switchboard/ws/deflate.hpp"
#include "switchboard/ws/message_reader.hpp"
#include "switchboard/ws/utf8.hpp"

namespace switchboard::ws {
namespace {

using test::Event;
using test::Recorder;

// Server frames are unmasked: parse them back with a reader that does not require masks.
std::vector<Event> parse_server_frames(std::string_view bytes, bool deflate = false) {
  ReaderLimits limits;
  limits.max_message_size = 1 << 20;
  limits.require_mask = false;
  MessageReader reader(limits);
  if (deflate) reader.enable_deflate(std::make_unique<Inflater>(DeflateAgreement{}));
  Recorder rec;
  std::string copy(bytes);
  ReadError e = reader.feed(reinterpret_cast<std::uint8_t*>(copy.data()), copy.size(), rec);
  EXPECT_FALSE(e) << e.reason;
  return rec.events;
}

TEST(FrameBuilder, HeaderSizeBoundaries) {
  EXPECT_EQ(frame_header_size(0), 2u);
  EXPECT_EQ(frame_header_size(125), 2u);
  EXPECT_EQ(frame_header_size(126), 4u);
  EXPECT_EQ(frame_header_size(65535), 4u);
  EXPECT_EQ(frame_header_size(65536), 10u);
}

TEST(FrameBuilder, WritesEachLengthForm) {
  std::uint8_t h[kMaxServerHeaderSize];
  ASSERT_EQ(write_frame_header(h, Opcode::text, 5), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 5);
  ASSERT_EQ(write_frame_header(h, Opcode::binary, 300, false, true), 4u);
  EXPECT_EQ(h[0], 0x42);  // no FIN, RSV1, binary
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 300);
  ASSERT_EQ(write_frame_header(h, Opcode::binary, 0x123456789ULL), 10u);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[5], 0x01);
  EXPECT_EQ(h[6], 0x23);
  EXPECT_EQ(h[9], 0x89);
}

TEST(FrameBuilder, BuiltFramesParseBack) {
  for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 70000u}) {
    const std::string payload(n, 'x');
    SharedFrame f = build_frame(Opcode::binary, payload);
    ASSERT_EQ(f.size(), frame_header_size(n) + n);
    auto events = parse_server_frames(f.view());
    ASSERT_EQ(events.size(), 1u) << n;
    EXPECT_EQ(events[0].op, Opcode::binary);
    EXPECT_EQ(events[0].payload, payload);
  }
}

TEST(FrameBuilder, CloseFrameCarriesCodeAndReason) {
  SharedFrame f = build_close_frame(close_code::kGoingAway, "bye");
  auto events = parse_server_frames(f.view());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::kClose);
  EXPECT_EQ(events[0].code, close_code::kGoingAway);
  EXPECT_EQ(events[0].payload, "bye");
}

TEST(FrameBuilder, CloseReasonTruncatedTo125Bytes) {
  SharedFrame f = build_close_frame(close_code::kNormal, std::string(300, 'a'));
  ASSERT_EQ(f.size(), 2u + 125u);
  EXPECT_EQ(f.data()[1], 125);
  EXPECT_EQ(f.view().substr(4), std::string(123, 'a'));
}

TEST(FrameBuilder, CloseReasonTruncatedAtUtf8Boundary) {
  // 122 ASCII bytes then a 3-byte euro sign: only 1 byte of it would fit, so it is dropped.
  std::string reason(122, 'a');
  reason += "\xE2\x82\xAC tail";
  SharedFrame f = build_close_frame(close_code::kNormal, reason);
  const std::string_view kept = f.view().substr(4);
  EXPECT_EQ(kept, std::string(122, 'a'));
  EXPECT_TRUE(is_valid_utf8(kept));
  // A 4-byte character straddling every possible cut.
  for (std::size_t prefix = 115; prefix <= 123; ++prefix) {
    std::string r(prefix, 'b');
    for (int i = 0; i < 4; ++i) r += "\xF0\x9F\x98\x80";
    SharedFrame g = build_close_frame(close_code::kNormal, r);
    const std::string_view k = g.view().substr(4);
    EXPECT_LE(k.size(), 123u);
    EXPECT_TRUE(is_valid_utf8(k)) << prefix;
    EXPECT_GT(k.size(), 119u) << prefix;  // at most one partial character dropped
  }
}

TEST(FrameBuilder, BuildMessageWithoutDeflater) {
  OutboundMessage m = build_message(Opcode::text, "hi");
  EXPECT_TRUE(m.plain);
  EXPECT_FALSE(m.deflated);
  EXPECT_EQ(m.for_connection(true).data(), m.plain.data());
}

TEST(FrameBuilder, BuildMessageCompressesOnceAboveThreshold) {
  Deflater deflater;
  std::string payload;
  for (int i = 0; i < 50; ++i) payload += "{\"type\":\"event\",\"payload\":{\"n\":1}}";
  OutboundMessage m = build_message(Opcode::text, payload, &deflater, 64);
  ASSERT_TRUE(m.plain);
  ASSERT_TRUE(m.deflated);
  EXPECT_EQ(m.deflated.data()[0], 0xC1);  // FIN, RSV1, text
  EXPECT_LT(m.deflated.size(), m.plain.size());
  EXPECT_EQ(m.for_connection(true).data(), m.deflated.data());
  EXPECT_EQ(m.for_connection(false).data(), m.plain.data());
  auto events = parse_server_frames(m.deflated.view(), /*deflate=*/true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, payload);

  OutboundMessage small = build_message(Opcode::text, "short", &deflater, 64);
  EXPECT_FALSE(small.deflated);
}

TEST(FrameBuilder, FanOutToManyUsesOneViewPerVariantToAFewTheFramesThemselves) {
  Deflater deflater;
  const std::string payload(200, 'a');
  const OutboundMessage m = build_message(Opcode::text, payload, &deflater, 64);
  ASSERT_TRUE(m.plain && m.deflated);
  {
    const OutboundMessage few = m.for_recipients(2);
    EXPECT_EQ(m.plain.use_count(), 2u);  // a copy of the frame itself
    EXPECT_EQ(m.deflated.use_count(), 2u);
    EXPECT_EQ(few.plain.data(), m.plain.data());
  }
  {
    const OutboundMessage many = m.for_recipients(1000);
    EXPECT_EQ(m.plain.use_count(), 2u);  // the view's one reference
    EXPECT_EQ(many.plain.use_count(), 1u);  // the view's own count, for its copies
    EXPECT_EQ(many.plain.view(), m.plain.view());
    EXPECT_EQ(many.deflated.view(), m.deflated.view());
    const std::vector<SharedFrame> recipients(1000, many.plain);
    EXPECT_EQ(m.plain.use_count(), 2u);
  }
  EXPECT_EQ(m.plain.use_count(), 1u);
  EXPECT_EQ(m.deflated.use_count(), 1u);
}

}  // namespace
}  // namespace switchboard::ws
