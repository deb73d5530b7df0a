#include "auth_service_authenticator.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

#include "http_test_server.hpp"
#include "run_on_io.hpp"

namespace switchboard::node {
namespace {

using namespace std::chrono_literals;
using auth::AuthError;
using auth::AuthResult;
using test::HttpTestServer;
using Behaviour = HttpTestServer::Behaviour;

constexpr const char* kToken = "tok-3f9a.secret";

test::Outcome<AuthResult> authenticate(const std::string& url, std::string_view token = kToken,
                                       std::chrono::milliseconds timeout = 5s) {
  auto authenticator = make_auth_service_authenticator({url, timeout});
  return test::run_on_io<AuthResult>([&](boost::asio::io_context& io, auto done) {
    authenticator->authenticate(token, io, done);
  });
}

// Scripts `reply` on /auth and authenticates against it.
test::Outcome<AuthResult> answered(HttpTestServer::Reply reply) {
  HttpTestServer server;
  server.route("/auth", std::move(reply));
  return authenticate(server.url("/auth"));
}

void expect_failure(const test::Outcome<AuthResult>& out, AuthError error,
                    const std::string& message_part) {
  EXPECT_EQ(out.calls, 1);
  EXPECT_TRUE(out.on_io_thread);
  EXPECT_FALSE(out.value.identity.has_value());
  EXPECT_EQ(out.value.error, error) << auth::to_string(out.value.error);
  EXPECT_NE(out.value.message.find(message_part), std::string::npos) << out.value.message;
  EXPECT_EQ(out.value.message.find(kToken), std::string::npos) << "the token leaked";
}

TEST(AuthService, FullAnswerBecomesTheIdentity) {
  HttpTestServer server;
  server.route("/auth", {Behaviour::answer, 200,
                         R"({"user_id":"u-42","channels":["conv:*","news"],)"
                         R"("expires_at":1700000000,"info":{"name":"Ada","tier":2}})"});
  const auto out = authenticate(server.url("/auth"));
  EXPECT_EQ(out.calls, 1);
  EXPECT_TRUE(out.on_io_thread);
  ASSERT_TRUE(out.value.identity.has_value()) << out.value.message;
  EXPECT_EQ(out.value.error, AuthError::none);
  const auth::Identity& id = *out.value.identity;
  EXPECT_EQ(id.user_id, "u-42");
  EXPECT_EQ(id.channels, (std::vector<std::string>{"conv:*", "news"}));
  ASSERT_TRUE(id.expires_at.has_value());
  EXPECT_EQ(id.expires_at->time_since_epoch(), std::chrono::seconds(1700000000));
  EXPECT_EQ(boost::json::parse(id.info_json), boost::json::parse(R"({"name":"Ada","tier":2})"));

  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].body, std::string(R"({"token":")") + kToken + "\"}");
}

TEST(AuthService, NumericUserIdAndNoOptionalFields) {
  const auto out = answered({Behaviour::answer, 200, R"({"user_id":42})"});
  ASSERT_TRUE(out.value.identity.has_value()) << out.value.message;
  EXPECT_EQ(out.value.identity->user_id, "42");
  EXPECT_TRUE(out.value.identity->channels.empty());
  EXPECT_FALSE(out.value.identity->expires_at.has_value());
  EXPECT_TRUE(out.value.identity->info_json.empty());
}

TEST(AuthService, TokenIsJsonEscapedInTheRequest) {
  HttpTestServer server;
  server.route("/auth", {Behaviour::answer, 200, R"({"user_id":"1"})"});
  const std::string token = "a\"b\\c\n\x01</script>";
  const auto out = authenticate(server.url("/auth"), token);
  ASSERT_TRUE(out.value.identity.has_value()) << out.value.message;
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  const boost::json::value sent = boost::json::parse(got[0].body);
  EXPECT_EQ(sent, (boost::json::object{{"token", token}}));
}

TEST(AuthService, UnauthorizedUsesTheServicesErrorField) {
  expect_failure(answered({Behaviour::answer, 401, R"({"error":"token revoked"})"}),
                 AuthError::service_rejected, "token revoked");
}

TEST(AuthService, ForbiddenUsesTheServicesMessageField) {
  const auto out = answered({Behaviour::answer, 403, R"({"message":"account suspended"})"});
  expect_failure(out, AuthError::service_rejected, "account suspended");
  EXPECT_EQ(out.value.message, "account suspended");
}

TEST(AuthService, RejectionWithoutAReasonNamesTheStatus) {
  expect_failure(answered({Behaviour::answer, 401, "nope"}), AuthError::service_rejected,
                 "HTTP 401");
}

TEST(AuthService, ServerErrorIsUnavailable) {
  expect_failure(answered({Behaviour::answer, 500, R"({"error":"db down"})"}),
                 AuthError::service_unavailable, "HTTP 500");
}

TEST(AuthService, OtherSuccessStatusesAreUnavailable) {
  expect_failure(answered({Behaviour::answer, 201, R"({"user_id":"1"})"}),
                 AuthError::service_unavailable, "HTTP 201");
}

TEST(AuthService, GarbageBodyIsUnavailable) {
  expect_failure(answered({Behaviour::answer, 200, "<html>hello</html>"}),
                 AuthError::service_unavailable, "not a JSON object");
}

TEST(AuthService, NonObjectJsonIsUnavailable) {
  expect_failure(answered({Behaviour::answer, 200, R"(["u-1"])"}), AuthError::service_unavailable,
                 "not a JSON object");
}

TEST(AuthService, MissingOrBadUserIdIsUnavailable) {
  for (const char* body : {R"({"channels":["a"]})", R"({"user_id":""})", R"({"user_id":null})",
                           R"({"user_id":1.5})", R"({"user_id":["1"]})"}) {
    SCOPED_TRACE(body);
    expect_failure(answered({Behaviour::answer, 200, body}), AuthError::service_unavailable,
                   "user_id");
  }
}

TEST(AuthService, WronglyTypedOptionalFieldsAreUnavailable) {
  expect_failure(answered({Behaviour::answer, 200, R"({"user_id":"1","channels":"conv:*"})"}),
                 AuthError::service_unavailable, "channels");
  expect_failure(answered({Behaviour::answer, 200, R"({"user_id":"1","channels":[1]})"}),
                 AuthError::service_unavailable, "channels");
  expect_failure(answered({Behaviour::answer, 200, R"({"user_id":"1","expires_at":"soon"})"}),
                 AuthError::service_unavailable, "expires_at");
  expect_failure(answered({Behaviour::answer, 200, R"({"user_id":"1","expires_at":1e300})"}),
                 AuthError::service_unavailable, "expires_at");
  expect_failure(answered({Behaviour::answer, 200, R"({"user_id":"1","info":"admin"})"}),
                 AuthError::service_unavailable, "info");
}

TEST(AuthService, SilentServiceTimesOutWithinTheDeadline) {
  HttpTestServer server;
  server.route("/auth", {Behaviour::hang, 0, ""});
  const auto out = authenticate(server.url("/auth"), kToken, 200ms);
  expect_failure(out, AuthError::service_unavailable, "timed out after 200 ms");
  EXPECT_GE(out.elapsed, 200ms);
  EXPECT_LT(out.elapsed, 200ms + test::kLateCompletionAllowance);
}

TEST(AuthService, RefusedConnectionIsUnavailable) {
  const auto out =
      authenticate("http://127.0.0.1:" + std::to_string(test::closed_port()) + "/auth");
  expect_failure(out, AuthError::service_unavailable, "connect failed");
}

TEST(AuthService, HttpsUrlIsUnavailable) {
  expect_failure(authenticate("https://127.0.0.1:1/auth"), AuthError::service_unavailable,
                 "https is not supported");
}

}  // namespace
}  // namespace switchboard::node
