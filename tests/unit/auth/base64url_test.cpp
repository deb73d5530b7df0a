#include "base64url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace switchboard::auth::detail {
namespace {

std::string decoded(std::string_view in) {
  std::string out = "stale";
  EXPECT_TRUE(base64url_decode(in, out)) << in;
  return out;
}

bool rejects(std::string_view in) {
  std::string out;
  return !base64url_decode(in, out);
}

// RFC 4648 §10 test vectors, without the padding JWS leaves out.
constexpr std::pair<std::string_view, std::string_view> kVectors[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  for (const auto& [plain, encoded] : kVectors) EXPECT_EQ(base64url_encode(plain), encoded);
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kVectors) EXPECT_EQ(decoded(encoded), plain);
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  const std::string bytes("\xfb\xff\xbf", 3);  // 111110 111111 111110 111111
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(decoded("-_-_"), bytes);
  EXPECT_TRUE(rejects("+/+/"));  // the standard alphabet's 62 and 63
}

TEST(Base64Url, RoundTripsEveryByteValueAtEveryLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const std::string in = all.substr(all.size() - len);
    EXPECT_EQ(decoded(base64url_encode(in)), in) << len;
  }
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_TRUE(rejects("Zg=="));
  EXPECT_TRUE(rejects("Zm8="));
  EXPECT_TRUE(rejects("===="));
}

TEST(Base64Url, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_TRUE(rejects("Zm9v YmFy"));
  EXPECT_TRUE(rejects("Zm9v\nYmFy"));
  EXPECT_TRUE(rejects("Zm9v."));
  EXPECT_TRUE(rejects(std::string_view("Zm\0v", 4)));
  EXPECT_TRUE(rejects("Zm9\x80"));
}

TEST(Base64Url, RejectsImpossibleLengthAndNonCanonicalTrailingBits) {
  EXPECT_TRUE(rejects("Z"));
  EXPECT_TRUE(rejects("Zm9vY"));
  EXPECT_TRUE(rejects("Zh"));   // "f" is "Zg"; 'h' sets a bit past the byte
  EXPECT_TRUE(rejects("Zm9"));  // "fo" is "Zm8"
}

}  // namespace
}  // namespace switchboard::auth::detail
