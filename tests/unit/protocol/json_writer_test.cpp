// json_writer: string escaping, JsonObject, and the server's reply shapes, each checked by
// parsing the output with Boost.JSON.
#include "switchboard/protocol/json_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::protocol {
namespace {

std::string as_json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Parses `json` (which must be valid) as a string and returns its value.
std::string round_trip(std::string_view s) {
  const std::string json = as_json_string(s);
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  EXPECT_FALSE(ec) << json;
  if (ec || !v.is_string()) return "<not a string>";
  return std::string(v.as_string());
}

TEST(JsonString, PlainTextIsCopied) {
  EXPECT_EQ(as_json_string(""), R"("")");
  EXPECT_EQ(as_json_string("hello world"), R"("hello world")");
  EXPECT_EQ(as_json_string("/{}[]:,'"), R"("/{}[]:,'")");
}

TEST(JsonString, QuotesAndBackslashes) {
  EXPECT_EQ(as_json_string("a\"b"), R"("a\"b")");
  EXPECT_EQ(as_json_string("a\\b"), R"("a\\b")");
  EXPECT_EQ(as_json_string("\\\""), R"("\\\"")");
  EXPECT_EQ(as_json_string("\""), R"("\"")");
}

TEST(JsonString, ShortEscapes) {
  EXPECT_EQ(as_json_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
}

TEST(JsonString, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string s(1, static_cast<char>(c));
    const std::string json = as_json_string(s);
    for (char ch : json) {
      EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "raw control char for " << c;
    }
    EXPECT_EQ(round_trip(s), s) << "control char " << c;
  }
  EXPECT_EQ(as_json_string(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(as_json_string("\x1f"), R"("\u001f")");
  EXPECT_EQ(as_json_string("\x0b"), R"("\u000b")");
}

TEST(JsonString, Utf8PassesThrough) {
  const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  EXPECT_EQ(as_json_string(s), "\"" + s + "\"");
  EXPECT_EQ(round_trip(s), s);
}

TEST(JsonString, DelIsLegalUnescaped) {
  EXPECT_EQ(as_json_string("\x7f"), "\"\x7f\"");
}

TEST(JsonString, MixedRunsRoundTrip) {
  std::string s;
  for (int i = 0; i < 300; ++i) {
    s += "run" + std::to_string(i);
    s.push_back(static_cast<char>(i % 0x23));  // controls, space, '!', '"'
    if (i % 7 == 0) s += "\\";
  }
  EXPECT_EQ(round_trip(s), s);
}

TEST(JsonString, Appends) {
  std::string out = "prefix:";
  append_json_string(out, "x");
  EXPECT_EQ(out, R"(prefix:"x")");
}

TEST(JsonObjectWriter, AllKinds) {
  std::string out;
  JsonObject o(out);
  o.string("s", "a\"b").number("n", UINT64_MAX).boolean("t", true).boolean("f", false);
  o.raw("r", R"({"x":[1,2]})").raw("e", "");
  o.close();
  const boost::json::value v = boost::json::parse(out);
  const boost::json::value expected = {{"s", "a\"b"}, {"n", UINT64_MAX},      {"t", true},
                                       {"f", false},  {"r", {{"x", {1, 2}}}}, {"e", nullptr}};
  EXPECT_EQ(v, expected) << out;
}

TEST(JsonObjectWriter, EmptyAndZero) {
  std::string out;
  JsonObject(out).close();
  EXPECT_EQ(out, "{}");
  out.clear();
  JsonObject(out).number("n", 0).close();
  EXPECT_EQ(out, R"({"n":0})");
}

TEST(JsonObjectWriter, Nested) {
  std::string inner;
  JsonObject(inner).string("k", "v").close();
  std::string out;
  JsonObject(out).raw("inner", inner).string("after", "x").close();
  EXPECT_EQ(boost::json::parse(out), boost::json::parse(R"({"inner":{"k":"v"},"after":"x"})"));
}

}  // namespace
}  // namespace switchboard::protocol
