// detail::scan_fields on valid but tricky JSON: every top-level field is reported once, in
// order, with its key as written and its value's exact text; nothing nested leaks out.
#include "raw_scan.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::protocol::detail {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields scan(std::string_view text) {
  Fields out;
  scan_fields(text, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

TEST(RawScan, EmptyObject) {
  EXPECT_TRUE(scan("{}").empty());
  EXPECT_TRUE(scan(" \n{ \t}\r\n").empty());
}

TEST(RawScan, ScalarsOfEveryKind) {
  const Fields f = scan(R"({"s":"x","n":-1.5E+3,"t":true,"f":false,"z":null,"i":0})");
  const Fields expected{{"s", "\"x\""}, {"n", "-1.5E+3"}, {"t", "true"},
                        {"f", "false"}, {"z", "null"},    {"i", "0"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, NestedValuesAreOneField) {
  const Fields f = scan(R"({"a":{"b":{"c":[1,{"d":2}]}},"e":[[],[[]],{}],"g":1})");
  const Fields expected{{"a", R"({"b":{"c":[1,{"d":2}]}})"}, {"e", "[[],[[]],{}]"}, {"g", "1"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, BracketsAndQuotesInsideStrings) {
  const std::string text =
      R"({"a":"}","b":"]","c":{"x":"}}}]]]"},"d":["\"]",{"\"}":"{"}],"e":"\\","f":"\\\"","g":1})";
  const Fields f = scan(text);
  const Fields expected{{"a", R"("}")"},
                        {"b", R"("]")"},
                        {"c", R"({"x":"}}}]]]"})"},
                        {"d", R"(["\"]",{"\"}":"{"}])"},
                        {"e", R"("\\")"},
                        {"f", R"("\\\"")"},
                        {"g", "1"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, KeysAreReportedAsWritten) {
  const Fields f = scan(R"({"a\"b":1,"\u0070":2,"\\":3,"":4,"{":5})");
  const Fields expected{
      {R"(a\"b)", "1"}, {R"(\u0070)", "2"}, {R"(\\)", "3"}, {"", "4"}, {"{", "5"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, WhitespaceAroundEverything) {
  const Fields f = scan(" {\n \"a\" \t:\r\n [ 1 , 2 ] \n, \"b\":\"c d\" ,\"e\" : 3\t}\n");
  const Fields expected{{"a", "[ 1 , 2 ]"}, {"b", "\"c d\""}, {"e", "3"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, MultibyteUtf8IsOpaque) {
  const Fields f = scan(R"({"é":"😀}","k":["ü]"]})");
  const Fields expected{{"é", R"("😀}")"}, {"k", R"(["ü]"])"}};
  EXPECT_EQ(f, expected);
}

TEST(RawScan, NotAnObjectYieldsNothing) {
  EXPECT_TRUE(scan("[1,2]").empty());
  EXPECT_TRUE(scan(R"("{\"a\":1}")").empty());
  EXPECT_TRUE(scan("").empty());
}

TEST(RawScan, TruncatedInputStaysInBounds) {
  // Unspecified fields, but every key and value handed out lies inside the input (no read
  // past its end; ASan also watches the scan itself), and a cut never yields more fields than
  // the whole object has. Each cut is a copy of its own, so ASan sees its exact end.
  const std::string full = R"({"a":"x\"y","b":[1,{"c":"\\"}],"d":true})";
  const std::size_t full_fields = scan(full).size();
  ASSERT_EQ(full_fields, 3u);
  std::vector<std::string> cuts;
  for (std::size_t n = 0; n < full.size(); ++n) cuts.push_back(full.substr(0, n));
  cuts.push_back("{\"a\":\"\\");  // ends inside an escape
  cuts.push_back("{\"a\\");       // ends inside an escaped key
  for (const std::string& cut : cuts) {
    const char* begin = cut.data();
    const char* end = begin + cut.size();
    std::size_t fields = 0;
    scan_fields(cut, [&](std::string_view k, std::string_view v) {
      ++fields;
      for (const std::string_view part : {k, v}) {
        EXPECT_TRUE(part.data() >= begin && part.data() + part.size() <= end)
            << "a view outside " << cut;
      }
    });
    EXPECT_LE(fields, full_fields) << cut;
  }
}

TEST(RawScan, ValuesAgreeWithBoostJson) {
  const std::string text =
      R"({"a":[{"b":"}\"{"},-0.5],"c":{"d":{"e":{}}},"f":"\u005c\"","g":[null,true,"]"]})";
  const boost::json::object reference = boost::json::parse(text).as_object();
  std::size_t seen = 0;
  scan_fields(text, [&](std::string_view k, std::string_view v) {
    ++seen;
    const boost::json::value* expected = reference.if_contains(k);
    ASSERT_NE(expected, nullptr) << k;
    EXPECT_EQ(boost::json::parse(v), *expected) << k;
  });
  EXPECT_EQ(seen, reference.size());
}

}  // namespace
}  // namespace switchboard::protocol::detail
