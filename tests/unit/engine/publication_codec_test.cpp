// The Redis engine's publication format: every field round-trips, binary safe, and anything
// truncated or foreign is refused rather than half-read.
#include "switchboard/engine/publication_codec.hpp"

#include <gtest/gtest.h>

namespace switchboard::engine {
namespace {

Publication sample() {
  Publication p;
  p.channel = "conv:4:2";
  p.type = "message.new";
  p.payload = std::string("{\"text\":\"a:b\\u0000\"}") + '\0' + "tail";
  p.id = "m-1";
  p.requires_ack = true;
  p.publisher_user = "u:7";
  p.skip_publisher = true;
  p.ephemeral = false;
  return p;
}

TEST(PublicationCodec, EveryFieldRoundTrips) {
  const Publication p = sample();
  auto back = decode_body(encode_body(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->channel, p.channel);
  EXPECT_EQ(back->type, p.type);
  EXPECT_EQ(back->payload, p.payload);
  EXPECT_EQ(back->id, p.id);
  EXPECT_TRUE(back->requires_ack);
  EXPECT_EQ(back->publisher_user, p.publisher_user);
  EXPECT_TRUE(back->skip_publisher);
  EXPECT_FALSE(back->ephemeral);
  EXPECT_FALSE(back->raw);
  EXPECT_EQ(back->offset, 0u);
}

// A raw publication (the payload is the client frame) stays raw through Redis, with every
// other flag as it was.
TEST(PublicationCodec, TheRawFlagRoundTripsBesideTheOthers) {
  for (int flags = 0; flags < 16; ++flags) {
    Publication p = sample();
    p.requires_ack = (flags & 1) != 0;
    p.skip_publisher = (flags & 2) != 0;
    p.ephemeral = (flags & 4) != 0;
    p.raw = (flags & 8) != 0;
    auto back = decode_body(encode_body(p));
    ASSERT_TRUE(back) << flags;
    EXPECT_EQ(back->requires_ack, p.requires_ack) << flags;
    EXPECT_EQ(back->skip_publisher, p.skip_publisher) << flags;
    EXPECT_EQ(back->ephemeral, p.ephemeral) << flags;
    EXPECT_EQ(back->raw, p.raw) << flags;
  }
  EXPECT_FALSE(decode_body("1@" + encode_body(sample()).substr(2))) << "no fifth flag";
}

TEST(PublicationCodec, ThePositionTravelsInFront) {
  Publication p = sample();
  p.offset = 151;
  p.epoch = "a1b2c3d4";
  const std::string text = encode_positioned(p);
  EXPECT_EQ(text.rfind("151:a1b2c3d4:", 0), 0u);
  auto back = decode_positioned(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->offset, 151u);
  EXPECT_EQ(back->epoch, "a1b2c3d4");
  EXPECT_EQ(back->payload, p.payload);
  Publication ephemeral = sample();
  ephemeral.ephemeral = true;
  auto eph = decode_positioned(encode_positioned(ephemeral));
  ASSERT_TRUE(eph);
  EXPECT_EQ(eph->offset, 0u);
  EXPECT_TRUE(eph->epoch.empty());
  EXPECT_TRUE(eph->ephemeral);
}

TEST(PublicationCodec, RefusesTruncatedAndForeignText) {
  const std::string body = encode_body(sample());
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_FALSE(decode_body(std::string_view(body).substr(0, cut))) << "cut at " << cut;
  }
  EXPECT_FALSE(decode_body(body + "x")) << "trailing bytes";
  EXPECT_FALSE(decode_body("2" + body.substr(1))) << "another version";
  EXPECT_FALSE(decode_positioned("x:e:" + body));
  EXPECT_FALSE(decode_positioned("12" + body));
  EXPECT_FALSE(decode_body("10" "99999999999999999999999:x"));
}

}  // namespace
}  // namespace switchboard::engine
