#include "switchboard/http/router.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace switchboard::http {
namespace {

Request make(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

// A handler that answers with its own name, so a test sees which route ran.
Handler named(std::string name) {
  return [name = std::move(name)](const Request&, Respond respond) {
    respond(Response::json(200, name));
  };
}

class RouterTest : public ::testing::Test {
 protected:
  // Dispatches and checks that the handler answered exactly once, synchronously.
  Response dispatch(std::string method, std::string target) {
    int calls = 0;
    std::optional<Response> answer;
    router_.dispatch(make(std::move(method), std::move(target)), [&](Response response) {
      ++calls;
      answer = std::move(response);
    });
    EXPECT_EQ(calls, 1);
    return answer.value_or(Response{});
  }

  Router router_;
};

TEST_F(RouterTest, ExactRouteMatchesItsPathOnly) {
  router_.add("GET", "/health", named("health"));
  EXPECT_EQ(dispatch("GET", "/health").body, "health");
  EXPECT_EQ(dispatch("GET", "/health?verbose=1").body, "health");
  EXPECT_EQ(dispatch("GET", "/health/x").status, 404u);
  EXPECT_EQ(dispatch("GET", "/healthz").status, 404u);
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  router_.add("GET", "/", named("root"));
  const Response response = dispatch("GET", "/nope");
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_NE(response.body.find(R"("code":"not_found")"), std::string::npos);
}

TEST_F(RouterTest, WrongMethodIs405WithTheRegisteredMethods) {
  router_.add("GET", "/api/items", named("list"));
  router_.add("POST", "/api/items", named("create"));
  router_.add("GET", "/api/items", named("duplicate"));
  router_.add("DELETE", "/other", named("other"));
  const Response response = dispatch("PUT", "/api/items");
  EXPECT_EQ(response.status, 405u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, POST");
  EXPECT_NE(response.body.find(R"("code":"method_not_allowed")"), std::string::npos);
  EXPECT_EQ(dispatch("POST", "/api/items").body, "create");
}

TEST_F(RouterTest, PrefixRoutesMatchBelowThePrefix) {
  router_.add("GET", "/api/users/*", named("user"));
  EXPECT_EQ(dispatch("GET", "/api/users/42").body, "user");
  EXPECT_EQ(dispatch("GET", "/api/users/42/presence?x=1").body, "user");
  EXPECT_EQ(dispatch("GET", "/api/users").status, 404u);
  EXPECT_EQ(dispatch("GET", "/api/usersx").status, 404u);
  EXPECT_EQ(dispatch("POST", "/api/users/42").status, 405u);
}

TEST_F(RouterTest, ExactBeatsPrefixAndLongerPrefixBeatsShorter) {
  router_.add("GET", "/api/*", named("api"));
  router_.add("GET", "/api/users/*", named("users"));
  router_.add("GET", "/api/users/me", named("me"));
  EXPECT_EQ(dispatch("GET", "/api/users/me").body, "me");
  EXPECT_EQ(dispatch("GET", "/api/users/7").body, "users");
  EXPECT_EQ(dispatch("GET", "/api/channels").body, "api");
}

TEST_F(RouterTest, HeadRunsTheGetHandlerWithoutABody) {
  router_.add("GET", "/health", named("twelve bytes"));
  const Response response = dispatch("HEAD", "/health");
  EXPECT_EQ(response.status, 200u);
  EXPECT_TRUE(response.body.empty());
  const std::string out = render(response, true);
  EXPECT_NE(out.find("Content-Length: 12\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
  EXPECT_EQ(dispatch("HEAD", "/nope").status, 404u);
}

TEST_F(RouterTest, AnExplicitHeadRouteWins) {
  router_.add("GET", "/x", named("get"));
  router_.add("HEAD", "/x", named("head"));
  EXPECT_EQ(dispatch("HEAD", "/x").body, "head");
}

TEST_F(RouterTest, HandlerMayAnswerLater) {
  Respond saved;
  router_.add("GET", "/slow", [&](const Request&, Respond respond) { saved = std::move(respond); });
  std::optional<unsigned> status;
  router_.dispatch(make("GET", "/slow"), [&](Response response) { status = response.status; });
  EXPECT_FALSE(status.has_value());
  ASSERT_TRUE(saved);
  saved(Response::json(202, "{}"));
  EXPECT_EQ(status, 202u);
}

}  // namespace
}  // namespace switchboard::http
