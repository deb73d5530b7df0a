#include "field_path.hpp"

#include <gtest/gtest.h>

namespace switchboard::ingress {
namespace {

std::string text(std::string_view json, std::string_view path) {
  auto v = field_text(json, path);
  if (auto* e = std::get_if<FieldError>(&v)) return *e == FieldError::missing ? "<missing>" : "<bad>";
  return std::get<std::string>(v);
}

TEST(FieldPath, StringsAreDecodedIntegersKeptAsWritten) {
  EXPECT_EQ(text(R"({"user_id":42})", "user_id"), "42");
  EXPECT_EQ(text(R"({"user_id":-7})", "user_id"), "-7");
  EXPECT_EQ(text(R"({"user_id":"u\u0031"})", "user_id"), "u1");
  EXPECT_EQ(text(R"( { "a" : { "b" : { "c" : "deep" } } } )", "a.b.c"), "deep");
}

TEST(FieldPath, MissingAndBadValues) {
  EXPECT_EQ(text(R"({"user_id":42})", "user"), "<missing>");
  EXPECT_EQ(text(R"({"a":{"b":1}})", "a.c"), "<missing>");
  EXPECT_EQ(text(R"({"a":1})", "a.b"), "<missing>");  // a step is not an object
  EXPECT_EQ(text(R"([1,2])", "a"), "<missing>");
  EXPECT_EQ(text(R"({"user_id":4.5})", "user_id"), "<bad>");
  EXPECT_EQ(text(R"({"user_id":1e3})", "user_id"), "<bad>");
  EXPECT_EQ(text(R"({"user_id":null})", "user_id"), "<bad>");
  EXPECT_EQ(text(R"({"user_id":{"id":1}})", "user_id"), "<bad>");
  EXPECT_EQ(text(R"({"user_id":true})", "user_id"), "<bad>");
}

}  // namespace
}  // namespace switchboard::ingress
