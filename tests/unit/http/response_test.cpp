#include "switchboard/http/response.hpp"

#include <gtest/gtest.h>

namespace switchboard::http {
namespace {

TEST(Render, JsonResponseWithLengthAndKeepAlive) {
  const Response response = Response::json(200, R"({"status":"ok"})");
  EXPECT_EQ(render(response, true),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 15\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
            R"({"status":"ok"})");
}

TEST(Render, CloseWhenTheRequestOrTheResponseSaysSo) {
  Response response = Response::json(201, "{}");
  EXPECT_NE(render(response, false).find("\r\nConnection: close\r\n"), std::string::npos);
  response.close = true;
  EXPECT_NE(render(response, true).find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(render(response, true).rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
}

TEST(Render, ExtraHeadersFollowTheStandardOnes) {
  Response response;
  response.status = 503;
  response.content_type = "text/plain";
  response.body = "draining";
  response.headers = {{"Retry-After", "5"}, {"X-Node", "n1"}};
  EXPECT_EQ(render(response, true),
            "HTTP/1.1 503 Service Unavailable\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 8\r\n"
            "Connection: keep-alive\r\n"
            "Retry-After: 5\r\n"
            "X-Node: n1\r\n"
            "\r\n"
            "draining");
}

TEST(Render, NoContentHasNoBodyNorLength) {
  Response response = Response::json(204, "ignored");
  const std::string out = render(response, true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Render, AnExplicitContentLengthReplacesTheComputedOne) {
  // How the router answers HEAD: the GET length, no body.
  Response response = Response::json(200, "");
  response.headers = {{"Content-Length", "42"}};
  const std::string out = render(response, true);
  EXPECT_EQ(out.find("Content-Length: 0"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 42\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(Response, ErrorEnvelopeEscapesItsStrings) {
  const Response response = Response::error(400, "bad_request", "quote \" slash \\ nl \n ctl \x01");
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"error":{"code":"bad_request","message":"quote \" slash \\ nl \n ctl \u0001"}})");
}

TEST(ReasonPhrase, CommonStatuses) {
  const std::vector<std::pair<unsigned, std::string_view>> expected = {
      {101, "Switching Protocols"},
      {200, "OK"},
      {201, "Created"},
      {204, "No Content"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {413, "Content Too Large"},
      {415, "Unsupported Media Type"},
      {426, "Upgrade Required"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {503, "Service Unavailable"},
  };
  for (const auto& [status, phrase] : expected) EXPECT_EQ(reason_phrase(status), phrase) << status;
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

}  // namespace
}  // namespace switchboard::http
