#include "glob_pattern.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

std::vector<std::string> captures(std::string_view pattern, std::string_view channel) {
  std::string error;
  auto p = GlobPattern::parse(pattern, error);
  EXPECT_TRUE(p) << error;
  auto m = p->match(channel);
  if (!m) return {"<no match>"};
  return {m->begin(), m->end()};
}

TEST(GlobPattern, EachWildcardIsACaptureInOrder) {
  EXPECT_EQ(captures("ws:conv:*", "ws:conv:conv-uuid-1"), std::vector<std::string>{"conv-uuid-1"});
  EXPECT_EQ(captures("h?llo", "hello"), std::vector<std::string>{"e"});
  EXPECT_EQ(captures("h[ae]llo:*", "hallo:x"), (std::vector<std::string>{"a", "x"}));
  EXPECT_EQ(captures("*", ""), std::vector<std::string>{""});
}

TEST(GlobPattern, StarsAreLazyLeftToRight) {
  EXPECT_EQ(captures("a:*:*", "a:b:c:d"), (std::vector<std::string>{"b", "c:d"}));
  EXPECT_EQ(captures("*:*", "x:y:z"), (std::vector<std::string>{"x", "y:z"}));
}

TEST(GlobPattern, SetsRangesNegationAndEscapes) {
  EXPECT_EQ(captures("[a-c]", "b"), std::vector<std::string>{"b"});
  EXPECT_EQ(captures("[^a-c]", "b"), std::vector<std::string>{"<no match>"});
  EXPECT_EQ(captures("[^a-c]", "d"), std::vector<std::string>{"d"});
  EXPECT_EQ(captures("\\*:*", "*:x"), std::vector<std::string>{"x"});
  EXPECT_EQ(captures("\\*:*", "a:x"), std::vector<std::string>{"<no match>"});
  EXPECT_EQ(captures("a*", "b"), std::vector<std::string>{"<no match>"});
}

TEST(GlobPattern, CountsWildcards) {
  std::string error;
  EXPECT_EQ(GlobPattern::parse("a:*:?:[xy]", error)->wildcards(), 3u);
  EXPECT_EQ(GlobPattern::parse("a\\*b", error)->wildcards(), 0u);
  EXPECT_EQ(GlobPattern::parse("a**b", error)->wildcards(), 1u);
}

TEST(GlobPattern, RefusesBrokenPatterns) {
  std::string error;
  EXPECT_FALSE(GlobPattern::parse("", error));
  EXPECT_FALSE(GlobPattern::parse("a[bc", error));
  EXPECT_FALSE(GlobPattern::parse("a\\", error));
}

TEST(GlobPattern, APathologicalChannelGivesUpInsteadOfSpinning) {
  // Exponential backtracking for a naive matcher; a publisher picks the channel.
  std::string error;
  auto p = GlobPattern::parse("*a*a*a*a*a*a*a*b", error);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->match(std::string(2000, 'a')));
  EXPECT_TRUE(p->match("aaaaaaab"));
}

}  // namespace
}  // namespace switchboard::ingress
