#include "binding_pattern.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

std::vector<std::string> captures(std::string_view binding, std::string_view routing_key) {
  std::string error;
  auto p = BindingPattern::parse(binding, error);
  EXPECT_TRUE(p) << error;
  auto m = p->match(routing_key);
  if (!m) return {"<no match>"};
  return {m->begin(), m->end()};
}

const std::vector<std::string> kNoMatch{"<no match>"};

TEST(BindingPattern, StarsCaptureAWordHashesTheWordsTheyCover) {
  EXPECT_EQ(captures("room.*", "room.r1"), std::vector<std::string>{"r1"});
  EXPECT_EQ(captures("a.*.*", "a.b.c"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(captures("#", "room.r1"), std::vector<std::string>{"room.r1"});
  EXPECT_EQ(captures("events.#", "events.a.b"), std::vector<std::string>{"a.b"});
  EXPECT_EQ(captures("news", "news"), std::vector<std::string>{});
}

TEST(BindingPattern, AHashMayCoverNoWordAndIsAsShortAsItCanBe) {
  EXPECT_EQ(captures("events.#", "events"), std::vector<std::string>{""});
  EXPECT_EQ(captures("#.x", "x"), std::vector<std::string>{""});
  EXPECT_EQ(captures("#.x.#", "a.x.b.x"), (std::vector<std::string>{"a", "b.x"}));
  EXPECT_EQ(captures("*.#.*", "a.b"), (std::vector<std::string>{"a", "", "b"}));
}

TEST(BindingPattern, WhatDoesNotMatch) {
  EXPECT_EQ(captures("room.*", "room"), kNoMatch);     // '*' is exactly one word
  EXPECT_EQ(captures("room.*", "room.a.b"), kNoMatch);
  EXPECT_EQ(captures("room.*", "user.r1"), kNoMatch);
  EXPECT_EQ(captures("a*.b", "ax.b"), kNoMatch);       // a wildcard inside a word is literal
  EXPECT_EQ(captures("a*.b", "a*.b"), std::vector<std::string>{});
}

TEST(BindingPattern, ManyHashesOnALongKeyStayFast) {
  // Memoized: without it this backtracks through ~100^4 splits.
  std::string key;
  for (int i = 0; i < 100; ++i) key += "w.";
  key += "end";
  EXPECT_EQ(captures("#.#.#.#.none", key), kNoMatch);
}

TEST(BindingPattern, CountsWildcardsAndRefusesOverlongKeys) {
  std::string error;
  EXPECT_EQ(BindingPattern::parse("a.*.#", error)->wildcards(), 2u);
  EXPECT_EQ(BindingPattern::parse("", error)->wildcards(), 0u);
  EXPECT_FALSE(BindingPattern::parse(std::string(256, 'a'), error));
  EXPECT_NE(error.find("255"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::ingress
