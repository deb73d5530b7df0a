#include "token_pattern.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

std::vector<std::string> captures(std::string_view pattern, std::string_view subject) {
  std::string error;
  auto p = TokenPattern::parse(pattern, error);
  EXPECT_TRUE(p) << error;
  auto m = p->match(subject);
  if (!m) return {"<no match>"};
  return {m->begin(), m->end()};
}

TEST(TokenPattern, StarsCaptureATokenTheTailTheRest) {
  EXPECT_EQ(captures("orders.*.created", "orders.eu.created"), std::vector<std::string>{"eu"});
  EXPECT_EQ(captures("a.*.*", "a.b.c"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(captures("inbox.>", "inbox.u.n1"), std::vector<std::string>{"u.n1"});
  EXPECT_EQ(captures("*.>", "x.y.z"), (std::vector<std::string>{"x", "y.z"}));
  EXPECT_EQ(captures("news", "news"), std::vector<std::string>{});
}

TEST(TokenPattern, WhatDoesNotMatch) {
  EXPECT_EQ(captures("orders.*.created", "orders.eu.deleted"),
            std::vector<std::string>{"<no match>"});
  EXPECT_EQ(captures("a.*", "a.b.c"), std::vector<std::string>{"<no match>"});
  EXPECT_EQ(captures("a.*", "a"), std::vector<std::string>{"<no match>"});
  EXPECT_EQ(captures("inbox.>", "inbox"), std::vector<std::string>{"<no match>"});  // '>' takes one at least
}

TEST(TokenPattern, CountsWildcardsAndRefusesWhatNatsRefuses) {
  std::string error;
  EXPECT_EQ(TokenPattern::parse("a.*.>", error)->wildcards(), 2u);
  for (const char* bad : {"", "a..b", ".a", "a.", "a*.b", "a.>.b", "a b"}) {
    EXPECT_FALSE(TokenPattern::parse(bad, error)) << bad;
  }
}

}  // namespace
}  // namespace switchboard::ingress
