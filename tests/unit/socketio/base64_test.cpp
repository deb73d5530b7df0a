#include "base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::socketio::detail {
namespace {

using namespace std::string_view_literals;

std::string encode(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

TEST(SioBase64, EncodesTheRfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  // The standard alphabet's last two characters (base64url would write - and _).
  EXPECT_EQ(encode("\xfb\xff\xbf"sv), "+/+/");
}

TEST(SioBase64, AppendsAfterWhatIsThere) {
  std::string out = "b";
  append_base64(out, "\x01\x02\x03\x04"sv);
  EXPECT_EQ(out, "bAQIDBA==");
}

TEST(SioBase64, DecodesPaddedAndUnpadded) {
  for (const std::string_view bytes : {""sv, "f"sv, "fo"sv, "foo"sv, "\x00\xff\x10\x80"sv}) {
    const std::string padded = encode(bytes);
    std::string out = "x";
    ASSERT_TRUE(append_base64_decoded(out, padded)) << padded;
    EXPECT_EQ(out, "x" + std::string(bytes));
    std::string unpadded = padded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    out.clear();
    ASSERT_TRUE(append_base64_decoded(out, unpadded)) << unpadded;
    EXPECT_EQ(out, bytes);
  }
}

TEST(SioBase64, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  std::string out;
  ASSERT_TRUE(append_base64_decoded(out, encode(bytes)));
  EXPECT_EQ(out, bytes);
}

TEST(SioBase64, RefusesWhatIsNotBase64) {
  for (const std::string_view text : {"A"sv, "AAAAA"sv, "Zg="sv, "Zg=A"sv, "=Zg="sv, "Z==="sv,
                                      "Zm9v-_"sv, "Zm 9"sv, "Zm9v\n"sv, "Zg==="sv}) {
    std::string out = "kept";
    EXPECT_FALSE(base64_decoded_size(text)) << text;
    EXPECT_FALSE(append_base64_decoded(out, text)) << text;
    EXPECT_EQ(out, "kept");
  }
}

}  // namespace
}  // namespace switchboard::socketio::detail
