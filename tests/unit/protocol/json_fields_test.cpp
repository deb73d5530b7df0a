// JsonFields: top-level fields of a server API body as raw text, with typed accessors.
#include "switchboard/protocol/json_fields.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace switchboard::protocol {
namespace {

TEST(JsonFields, RejectsWhatIsNotOneObject) {
  for (const char* text : {"", "[]", "1", "null", R"("x")", "{", R"({"a":1}x)", R"({"a":1}{})",
                           R"({'a':1})", R"({"a":})"}) {
    EXPECT_FALSE(JsonFields::parse(text).has_value()) << text;
  }
}

TEST(JsonFields, RawIsTheExactValueText) {
  const auto f = JsonFields::parse(R"({"channel":"c","payload":{ "a" : [1, "}"] },"n":null})");
  ASSERT_TRUE(f.has_value());
  ASSERT_NE(f->raw("payload"), nullptr);
  EXPECT_EQ(*f->raw("payload"), R"({ "a" : [1, "}"] })");
  EXPECT_EQ(*f->raw("channel"), R"("c")");
  EXPECT_EQ(*f->raw("n"), "null");
  EXPECT_TRUE(f->has("n"));
  EXPECT_FALSE(f->has("missing"));
  EXPECT_EQ(f->raw("missing"), nullptr);
  EXPECT_FALSE(f->has("a")) << "nested keys are not top-level fields";
}

TEST(JsonFields, EscapedKeysAreDecoded) {
  const auto f = JsonFields::parse(R"({"ch\u0061nnel":"c","a\"b":1,"t\\ab":2,"\u00e9":3})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->string("channel"), "c");
  EXPECT_EQ(f->uint("a\"b"), 1u);
  EXPECT_EQ(f->uint("t\\ab"), 2u);
  EXPECT_EQ(f->uint("é"), 3u);
  EXPECT_FALSE(f->has("ch\\u0061nnel")) << "the raw spelling is not the key";
}

TEST(JsonFields, StringDecodesEscapes) {
  const auto f = JsonFields::parse(R"({"s":"a\"b\\c\n\u00e9\ud83d\ude00","n":5,"b":true})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->string("s"), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(f->string("n"), std::nullopt);
  EXPECT_EQ(f->string("b"), std::nullopt);
  EXPECT_EQ(f->string("missing"), std::nullopt);
}

TEST(JsonFields, Boolean) {
  const auto f = JsonFields::parse(R"({"t":true,"f":false,"s":"true","n":1,"z":null})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->boolean("t"), true);
  EXPECT_EQ(f->boolean("f"), false);
  EXPECT_EQ(f->boolean("s"), std::nullopt);
  EXPECT_EQ(f->boolean("n"), std::nullopt);
  EXPECT_EQ(f->boolean("z"), std::nullopt);
  EXPECT_EQ(f->boolean("missing"), std::nullopt);
}

TEST(JsonFields, Uint) {
  const auto f = JsonFields::parse(
      R"({"zero":0,"big":18446744073709551615,"neg":-1,"frac":1.5,"str":"7","arr":[1],"exp":1e3})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->uint("zero"), 0u);
  EXPECT_EQ(f->uint("big"), UINT64_MAX);
  EXPECT_EQ(f->uint("neg"), std::nullopt);
  EXPECT_EQ(f->uint("frac"), std::nullopt);
  EXPECT_EQ(f->uint("str"), std::nullopt);
  EXPECT_EQ(f->uint("arr"), std::nullopt);
  EXPECT_EQ(f->uint("exp"), std::nullopt) << "1e3 is a double in JSON";
}

TEST(JsonFields, EmptyObject) {
  const auto f = JsonFields::parse(" { } ");
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE(f->has("a"));
}

}  // namespace
}  // namespace switchboard::protocol

namespace switchboard::protocol {
namespace {

// An absent payload arrives as an empty view (possibly with a null data pointer): not JSON.
TEST(JsonFields, EmptyTextIsNotAnObject) {
  EXPECT_FALSE(JsonFields::parse(std::string_view()));
  EXPECT_FALSE(JsonFields::parse(""));
}

}  // namespace
}  // namespace switchboard::protocol
