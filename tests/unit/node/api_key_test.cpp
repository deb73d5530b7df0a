// The server API key check: only the exact key matches, and an empty key (the API disabled)
// matches nothing, not even an empty offer.
#include <gtest/gtest.h>

#include <string>

#include "api_key.hpp"

namespace switchboard::node {
namespace {

TEST(ApiKey, OnlyTheExactKeyMatches) {
  const std::string key = "s3cret-key";
  EXPECT_TRUE(api_key_matches("s3cret-key", key));
  EXPECT_FALSE(api_key_matches("s3cret-kez", key));   // same length, last byte
  EXPECT_FALSE(api_key_matches("t3cret-key", key));   // same length, first byte
  EXPECT_FALSE(api_key_matches("s3cret-ke", key));    // a prefix
  EXPECT_FALSE(api_key_matches("s3cret-keyy", key));  // longer
  EXPECT_FALSE(api_key_matches("", key));
  EXPECT_FALSE(api_key_matches(std::string("s3cret-key\0", 11), key));
}

TEST(ApiKey, AnEmptyKeyMatchesNothing) {
  EXPECT_FALSE(api_key_matches("", ""));
  EXPECT_FALSE(api_key_matches("anything", ""));
}

}  // namespace
}  // namespace switchboard::node
