#include "template.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

using Kind = Template::Segment::Kind;

TEST(Template, LiteralsCapturesAndFields) {
  std::string error;
  auto t = Template::parse("conv:{1}/{payload.user.id}-{0}", error);
  ASSERT_TRUE(t) << error;
  const auto& s = t->segments();
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].kind, Kind::literal);
  EXPECT_EQ(s[0].text, "conv:");
  EXPECT_EQ(s[1].kind, Kind::capture);
  EXPECT_EQ(s[1].capture, 1u);
  EXPECT_EQ(s[3].kind, Kind::field);
  EXPECT_EQ(s[3].text, "payload.user.id");
  EXPECT_EQ(s[5].kind, Kind::capture);
  EXPECT_EQ(s[5].capture, 0u);
  EXPECT_EQ(t->max_capture(), 1u);
  EXPECT_TRUE(t->uses_fields());
}

TEST(Template, DoubledBracesAreLiteral) {
  std::string error;
  auto t = Template::parse("a{{b}}c", error);
  ASSERT_TRUE(t) << error;
  ASSERT_EQ(t->segments().size(), 1u);
  EXPECT_EQ(t->segments()[0].text, "a{b}c");
  EXPECT_EQ(t->max_capture(), 0u);
  EXPECT_FALSE(t->uses_fields());
}

TEST(Template, RefusesWhatIsNotATemplate) {
  for (const char* bad : {"c:{1", "c:}", "{}", "{a..b}", "{.a}", "{a.}", "{12}", "{1a}",
                          "{a b}"}) {
    std::string error;
    EXPECT_FALSE(Template::parse(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace switchboard::ingress
