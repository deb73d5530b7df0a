// Channel names (validity, the reserved '$' prefix), glob patterns that grant channels, and
// namespaces.
#include "channel_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::node {
namespace {

TEST(ChannelName, ValidNames) {
  for (const char* name : {"a", "conv:42", "user:7", "news", "a b", "x$", "caf\xc3\xa9", "*",
                           "~!@#%^&*()_+{}|:\"<>?", "conv:a:b"}) {
    EXPECT_TRUE(valid_channel_name(name)) << name;
  }
}

TEST(ChannelName, EmptyIsInvalid) {
  EXPECT_FALSE(valid_channel_name(""));
}

TEST(ChannelName, DollarPrefixIsReserved) {
  EXPECT_FALSE(valid_channel_name("$broadcast"));
  EXPECT_FALSE(valid_channel_name("$"));
  EXPECT_TRUE(valid_channel_name("a$broadcast"));
}

TEST(ChannelName, ControlCharactersAreInvalid) {
  for (int c = 0; c < 0x20; ++c) {
    std::string name = "conv:";
    name.push_back(static_cast<char>(c));
    EXPECT_FALSE(valid_channel_name(name)) << "control char " << c;
  }
  EXPECT_FALSE(valid_channel_name("a\x7f"));
  EXPECT_FALSE(valid_channel_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_channel_name("\nconv"));
}

TEST(ChannelName, LengthLimit) {
  EXPECT_EQ(kMaxChannelName, 255u);
  EXPECT_TRUE(valid_channel_name(std::string(255, 'a')));
  EXPECT_FALSE(valid_channel_name(std::string(256, 'a')));
  EXPECT_FALSE(valid_channel_name(std::string(100000, 'a')));
}

TEST(ChannelName, ConversationChannel) {
  EXPECT_EQ(conversation_channel("42"), "conv:42");
  EXPECT_EQ(conversation_channel(""), "conv:");
}

struct Case {
  const char* pattern;
  const char* name;
  bool matches;
};

class MatchPattern : public ::testing::TestWithParam<Case> {};

TEST_P(MatchPattern, Matches) {
  const Case& c = GetParam();
  EXPECT_EQ(match_pattern(c.pattern, c.name), c.matches)
      << "pattern '" << c.pattern << "' name '" << c.name << "'";
}

INSTANTIATE_TEST_SUITE_P(
    ChannelName, MatchPattern,
    ::testing::Values(
        // Literal patterns.
        Case{"news", "news", true}, Case{"news", "new", false}, Case{"news", "newss", false},
        Case{"news", "News", false},
        // Star at the end, start, middle.
        Case{"conv:*", "conv:42", true}, Case{"conv:*", "conv:", true},
        Case{"conv:*", "conv", false}, Case{"conv:*", "xconv:1", false},
        Case{"*:public", "room:public", true}, Case{"*:public", ":public", true},
        Case{"*:public", "room:publicx", false}, Case{"a*z", "az", true},
        Case{"a*z", "a-long-way-z", true}, Case{"a*z", "a-z-", false},
        // Several stars, consecutive stars.
        Case{"*", "", true}, Case{"*", "anything", true}, Case{"**", "x", true},
        Case{"a**b", "ab", true}, Case{"*:*", "a:b", true}, Case{"*:*", "ab", false},
        Case{"a*b*c", "abc", true}, Case{"a*b*c", "aXbYc", true}, Case{"a*b*c", "aXcYb", false},
        Case{"*a*b*", "xxaxxbxx", true}, Case{"*a*b*", "xxbxxaxx", false},
        // Backtracking: the first candidate for the star is the wrong one.
        Case{"*ab", "aab", true}, Case{"*ab", "abab", true}, Case{"*aab", "aaab", true},
        Case{"a*bc", "abcbc", true}, Case{"a*bc", "abcbd", false}, Case{"*a*a*a", "aaa", true},
        Case{"*a*a*a", "aa", false}, Case{"conv:*:m*", "conv:1:x:m2", true},
        Case{"conv:*:m*", "conv:1:x", false},
        Case{"*x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        // The empty pattern matches only the empty name.
        Case{"", "", true}, Case{"", "a", false},
        // '*' in the name is a plain character.
        Case{"a", "*", false}, Case{"a*", "a*", true}));

TEST(ChannelName, PathologicalPatternStaysFast) {
  // Many stars against a long non-matching name: the iterative matcher stays polynomial.
  const std::string pattern = "*a*a*a*a*a*a*a*a*a*a*b";
  const std::string name(5000, 'a');
  EXPECT_FALSE(match_pattern(pattern, name));
  EXPECT_TRUE(match_pattern(pattern, name + "b"));
}

TEST(ChannelName, Namespace) {
  EXPECT_EQ(channel_namespace("conv:42"), "conv");
  EXPECT_EQ(channel_namespace("conv:a:b"), "conv");
  EXPECT_EQ(channel_namespace(":x"), "");
  EXPECT_EQ(channel_namespace("news"), "");
  EXPECT_EQ(channel_namespace(""), "");
  EXPECT_EQ(channel_namespace("a:"), "a");
}

}  // namespace
}  // namespace switchboard::node
