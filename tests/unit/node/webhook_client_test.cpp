#include "webhook_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "http_test_server.hpp"
#include "run_on_io.hpp"

namespace switchboard::node {
namespace {

using namespace std::chrono_literals;
using test::HttpTestServer;
using Behaviour = HttpTestServer::Behaviour;
using Answer = std::pair<unsigned, std::string>;  // status, body or failure detail
using Delivery = std::pair<bool, std::string>;    // ok, detail

constexpr std::size_t kMiB = 1024 * 1024;

test::Outcome<Answer> call_json(const std::string& url, std::string body,
                                std::chrono::milliseconds timeout = 5s) {
  return test::run_on_io<Answer>([&](boost::asio::io_context& io, auto done) {
    post_json(io, {url, timeout}, std::move(body), [done](unsigned status, std::string response) {
      done(Answer{status, std::move(response)});
    });
  });
}

test::Outcome<Delivery> call_webhook(const std::string& url, std::string body,
                                     std::chrono::milliseconds timeout = 5s) {
  return test::run_on_io<Delivery>([&](boost::asio::io_context& io, auto done) {
    post_webhook(io, {url, timeout}, std::move(body), [done](bool ok, std::string detail) {
      done(Delivery{ok, std::move(detail)});
    });
  });
}

// Scripts `reply` on /r and POSTs to it.
test::Outcome<Answer> scripted(HttpTestServer::Reply reply) {
  HttpTestServer server;
  server.route("/r", std::move(reply));
  return call_json(server.url("/r"), "{}");
}

void expect_once_on_io_thread(const auto& out) {
  EXPECT_EQ(out.calls, 1);
  EXPECT_TRUE(out.on_io_thread);
}

TEST(PostJson, ReturnsStatusAndBodyAndSendsTheRequestAsJson) {
  HttpTestServer server;
  server.route("/check", {Behaviour::answer, 200, R"({"fine":true})"});
  const auto out = call_json(server.url("/check?x=1"), R"({"token":"abc"})");
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{200, R"({"fine":true})"}));
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/check?x=1");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].host, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got[0].body, R"({"token":"abc"})");
}

TEST(PostJson, UrlWithoutPathRequestsTheRoot) {
  HttpTestServer server;
  server.route("/", {Behaviour::answer, 204, ""});
  const auto out = call_json("http://127.0.0.1:" + std::to_string(server.port()), "{}");
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value.first, 204u);
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0].target, "/");
}

TEST(PostJson, HandsNon2xxStatusAndBodyThrough) {
  const auto out = scripted({Behaviour::answer, 500, "internal"});
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{500, "internal"}));
}

TEST(PostJson, RefusedConnectionIsStatusZeroWithDetail) {
  const auto out =
      call_json("http://127.0.0.1:" + std::to_string(test::closed_port()) + "/x", "{}");
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value.first, 0u);
  EXPECT_NE(out.value.second.find("connect failed"), std::string::npos) << out.value.second;
}

TEST(PostJson, SilentServerTimesOutWithinTheDeadline) {
  HttpTestServer server;
  server.route("/hang", {Behaviour::hang, 0, ""});
  const auto out = call_json(server.url("/hang"), "{}", 200ms);
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{0, "timed out after 200 ms"}));
  EXPECT_GE(out.elapsed, 200ms);
  EXPECT_LT(out.elapsed, 200ms + test::kLateCompletionAllowance);  // not stalled past the deadline
  EXPECT_EQ(server.received().size(), 1u);  // it was the answer that never came
}

TEST(PostJson, ConnectionClosedWithoutAnswerIsStatusZero) {
  const auto out = scripted({Behaviour::close, 0, ""});
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{0, "connection closed before a complete response"}));
}

TEST(PostJson, NonHttpAnswerIsStatusZero) {
  const auto out = scripted({Behaviour::garbage, 0, "SSH-2.0-OpenSSH_9.2\r\n\r\n"});
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value.first, 0u);
  EXPECT_NE(out.value.second.find("reading the response failed"), std::string::npos)
      << out.value.second;
}

TEST(PostJson, BodyOfExactly1MiBIsAccepted) {
  const auto out = scripted({Behaviour::answer, 200, std::string(kMiB, 'a')});
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value.first, 200u);
  EXPECT_EQ(out.value.second.size(), kMiB);
}

TEST(PostJson, BodyOverTheCapIsRefused) {
  const auto out = scripted({Behaviour::answer, 200, std::string(kMiB + 1, 'a')});
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{0, "response body larger than 1 MiB"}));
}

TEST(PostJson, HttpsFailsAtOnceButStillOnTheIoThread) {
  const auto out = call_json("https://127.0.0.1:1/x", "{}");
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Answer{0, "https is not supported"}));
}

TEST(PostJson, UnusableUrlsFailWithAReason) {
  for (const std::string url : {"not a url", "ftp://127.0.0.1/x", "http:/no-host", ""}) {
    const auto out = call_json(url, "{}");
    expect_once_on_io_thread(out);
    EXPECT_EQ(out.value.first, 0u) << url;
    EXPECT_FALSE(out.value.second.empty()) << url;
  }
}

TEST(PostJson, ConcurrentCallsEachCompleteOnce) {
  HttpTestServer server;
  server.route("/a", {Behaviour::answer, 200, "a"});
  server.route("/b", {Behaviour::answer, 401, "b"});
  server.route("/hang", {Behaviour::hang, 0, ""});
  constexpr int kCalls = 9;
  std::vector<Answer> answers(kCalls);
  std::vector<int> calls(kCalls, 0);
  boost::asio::io_context io;
  const char* paths[] = {"/a", "/b", "/hang"};
  for (int i = 0; i < kCalls; ++i) {
    post_json(io, {server.url(paths[i % 3]), 300ms}, "{}", [&, i](unsigned s, std::string b) {
      ++calls[i];
      answers[i] = {s, std::move(b)};
    });
  }
  io.run_for(10s);
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    const Answer expected = i % 3 == 0   ? Answer{200, "a"}
                            : i % 3 == 1 ? Answer{401, "b"}
                                         : Answer{0, "timed out after 300 ms"};
    EXPECT_EQ(answers[i], expected) << i;
  }
}

TEST(PostWebhook, DeliversTheExactBodyAsJson) {
  HttpTestServer server;
  server.route("/hook", {Behaviour::answer, 202, ""});
  const std::string batch = R"([{"type":"move","payload":{"x":1,"s":"é\"q"},"user_id":"7"}])";
  const auto out = call_webhook(server.url("/hook"), batch);
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Delivery{true, ""}));
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].body, batch);
}

TEST(PostWebhook, Non2xxIsAFailureNamingTheStatus) {
  HttpTestServer server;
  server.route("/hook", {Behaviour::answer, 503, "overloaded"});
  const auto out = call_webhook(server.url("/hook"), "[]");
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Delivery{false, "HTTP 503: overloaded"}));
}

TEST(PostWebhook, TimeoutIsAFailure) {
  HttpTestServer server;
  server.route("/hook", {Behaviour::hang, 0, ""});
  const auto out = call_webhook(server.url("/hook"), "[]", 200ms);
  expect_once_on_io_thread(out);
  EXPECT_EQ(out.value, (Delivery{false, "timed out after 200 ms"}));
  EXPECT_GE(out.elapsed, 200ms);
  EXPECT_LT(out.elapsed, 200ms + test::kLateCompletionAllowance);
}

TEST(PostWebhook, RefusedConnectionIsAFailure) {
  const auto out =
      call_webhook("http://127.0.0.1:" + std::to_string(test::closed_port()) + "/", "[]");
  expect_once_on_io_thread(out);
  EXPECT_FALSE(out.value.first);
  EXPECT_NE(out.value.second.find("connect failed"), std::string::npos) << out.value.second;
}

}  // namespace
}  // namespace switchboard::node
