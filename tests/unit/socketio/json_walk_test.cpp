#include "json_walk.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::socketio::detail {
namespace {

using namespace std::string_view_literals;

TEST(SioJsonWalk, ValueLengthStopsAtTheValuesEnd) {
  EXPECT_EQ(json_value_length(R"("a\"]"],1)"), 6u);
  EXPECT_EQ(json_value_length(R"([1,{"a":"]"}],2)"), 13u);
  EXPECT_EQ(json_value_length("-1.5e3 ,"), 6u);
  EXPECT_EQ(json_value_length("true}"), 4u);
  EXPECT_FALSE(json_value_length(""));
  EXPECT_FALSE(json_value_length(R"("open)"));
  EXPECT_FALSE(json_value_length("[1,[2]"));
  EXPECT_FALSE(json_value_length(","));
}

TEST(SioJsonWalk, ArrayElementsAreTrimmedRawTexts) {
  std::vector<std::string_view> elements;
  ASSERT_TRUE(json_array_elements(" [ 1 ,\"a,b\" , [ ] ,{\"k\":[1]}\n] ", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{"1", R"("a,b")", "[ ]", R"({"k":[1]})"}));
  ASSERT_TRUE(json_array_elements("[ ]", elements));
  EXPECT_TRUE(elements.empty());
  for (const std::string_view bad : {""sv, "{}"sv, "[1,]"sv, "[1 2]"sv, "[,1]"sv, "["sv}) {
    EXPECT_FALSE(json_array_elements(bad, elements)) << bad;
  }
}

TEST(SioJsonWalk, FirstElementIsTheFirstRawText) {
  EXPECT_EQ(json_first_element(R"( [ "a,b" , 1])"), R"("a,b")");
  EXPECT_EQ(json_first_element("[[1,2],3]"), "[1,2]");
  EXPECT_EQ(json_first_element("[7]"), "7");
  EXPECT_FALSE(json_first_element("[ ]"));
  EXPECT_FALSE(json_first_element(R"({"a":1})"));
  EXPECT_FALSE(json_first_element("[1"));
}

TEST(SioJsonWalk, ObjectMembersGiveRawKeysAndValues) {
  std::vector<JsonMember> members;
  ASSERT_TRUE(json_object_members(R"({ "a" : 1 , "b\"c":{"x":[]},"d":"}"})", members));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].raw_key, "a");
  EXPECT_EQ(members[0].value, "1");
  EXPECT_EQ(members[1].raw_key, R"(b\"c)");
  EXPECT_EQ(members[1].value, R"({"x":[]})");
  EXPECT_EQ(members[2].value, R"("}")");
  for (const std::string_view bad : {"[]"sv, R"({"a"})"sv, R"({"a":})"sv, R"({1:2})"sv}) {
    EXPECT_FALSE(json_object_members(bad, members)) << bad;
  }
}

TEST(SioJsonWalk, KeysCompareByValue) {
  EXPECT_TRUE(json_key_is("$binary", "$binary"));
  EXPECT_TRUE(json_key_is(R"(\u0024binary)", "$binary"));
  EXPECT_FALSE(json_key_is("$binar", "$binary"));
  EXPECT_FALSE(json_key_is(R"(\u0024binar)", "$binary"));
  EXPECT_EQ(json_string_value(R"("a\nb")"), "a\nb");
  EXPECT_EQ(json_string_value(R"("ab")"), "ab");
  EXPECT_FALSE(json_string_value("1"));
  EXPECT_FALSE(json_string_value(R"("ab)"));
}

TEST(SioJsonWalk, VisitsObjectsOutermostFirstAndSkipsHandledOnes) {
  const std::string_view json = R"([{"a":{"b":1}},[{"c":2}],{"skip":{"inner":3}}])";
  std::vector<std::string_view> seen;
  ASSERT_TRUE(for_each_json_object(
      json,
      [&](std::string_view object, const std::vector<JsonMember>& members) {
        seen.push_back(object);
        return !members.empty() && members.front().raw_key == "skip";
      },
      8));
  EXPECT_EQ(seen, (std::vector<std::string_view>{R"({"a":{"b":1}})", R"({"b":1})", R"({"c":2})",
                                                 R"({"skip":{"inner":3}})"}));
}

TEST(SioJsonWalk, StopsBeyondTheDepthLimit) {
  auto never = [](std::string_view, const std::vector<JsonMember>&) { return false; };
  EXPECT_TRUE(for_each_json_object("[[[1]]]", never, 3));
  EXPECT_FALSE(for_each_json_object("[[[1]]]", never, 2));
  EXPECT_FALSE(for_each_json_object("[[1]", never, 8));
}

}  // namespace
}  // namespace switchboard::socketio::detail
