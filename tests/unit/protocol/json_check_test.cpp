// The one JSON rule (json_check.hpp): RFC 8259 syntax, at most 64 levels of nesting, numbers
// checked for syntax only. Both of check_json's paths (simdjson, and Boost.JSON for numbers
// simdjson cannot represent) must draw the depth line in the same place.
#include "switchboard/protocol/json_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::protocol {
namespace {

std::string nested(std::size_t levels, const std::string& inner) {
  return std::string(levels, '[') + inner + std::string(levels, ']');
}

TEST(JsonCheck, NumbersBeyondSimdjsonAreValid) {
  EXPECT_EQ(check_json("[18446744073709551616]"), JsonCheck::valid);  // 2^64
  EXPECT_EQ(check_json("[-99999999999999999999999]"), JsonCheck::valid);
  EXPECT_EQ(check_json("{\"x\":1e400}"), JsonCheck::valid);
  EXPECT_EQ(check_json("{\"x\":-1E-400}"), JsonCheck::valid);
}

TEST(JsonCheck, MalformedNumbersAreInvalid) {
  for (const char* bad : {"[01]", "[1.]", "[-]", "[.5]", "[1e]", "[+1]", "[0x10]", "[NaN]"}) {
    EXPECT_EQ(check_json(bad), JsonCheck::invalid) << bad;
  }
}

TEST(JsonCheck, SixtyFourLevelsPassAndSixtyFiveAreTooDeepOnBothPaths) {
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "1")), JsonCheck::valid);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth + 1, "1")), JsonCheck::too_deep);
  // A number simdjson refuses sends the text to the second path.
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "1e400")), JsonCheck::valid);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth + 1, "1e400")), JsonCheck::too_deep);
}

TEST(JsonCheck, AnEmptyInnermostArrayOrObjectIsALevelToo) {
  // simdjson does not count an empty container as a level; the rule does.
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "")), JsonCheck::valid);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth + 1, "")), JsonCheck::too_deep);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth - 1, "{}")), JsonCheck::valid);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "{}")), JsonCheck::too_deep);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "{\"a\":{}}")), JsonCheck::too_deep);
}

TEST(JsonCheck, TheDepthHoldsForDocumentsLargerThanTheFirstAllocation) {
  // The parser starts small and grows: growing must keep the depth limit.
  const std::string padding = "\"" + std::string(100000, 'x') + "\",";
  EXPECT_EQ(check_json(nested(kMaxJsonDepth - 1, "[" + padding + "1]")), JsonCheck::valid);
  EXPECT_EQ(check_json(nested(kMaxJsonDepth, "[" + padding + "1]")), JsonCheck::too_deep);
}

TEST(JsonCheck, OtherSyntaxErrorsAreInvalid) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "[1] x", "{'a':1}"}) {
    EXPECT_EQ(check_json(bad), JsonCheck::invalid) << bad;
  }
  EXPECT_EQ(check_json("[\"\xff\"]"), JsonCheck::invalid);  // not UTF-8
}

TEST(JsonCheck, ParseJsonUsesTheSameDepthAndReadsHugeNumbersAsInfinity) {
  boost::json::error_code ec;
  parse_json(nested(kMaxJsonDepth, "1"), ec);
  EXPECT_FALSE(ec) << "Boost.JSON's default depth is 32; ours is 64";
  parse_json(nested(kMaxJsonDepth + 1, "1"), ec);
  EXPECT_EQ(ec, boost::json::error::too_deep);
  const boost::json::value v = parse_json("[1e400]", ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(std::isinf(v.as_array()[0].as_double()));
}

TEST(JsonCheck, DescribeNamesTheLimit) {
  EXPECT_EQ(describe(JsonCheck::too_deep), "JSON nested deeper than 64 levels");
  EXPECT_EQ(describe(JsonCheck::invalid), "not valid JSON");
}

}  // namespace
}  // namespace switchboard::protocol
