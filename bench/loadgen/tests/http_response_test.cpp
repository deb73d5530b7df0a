#include "http_response.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::bench {
namespace {

ResponseParse parse(std::string_view bytes, HttpResponse& out, std::string_view& error,
                    std::size_t max_size = 1024) {
  return parse_response(bytes, max_size, out, error);
}

TEST(HttpResponse, StatusLine) {
  EXPECT_EQ(response_status("HTTP/1.1 200 OK\r\n"), 200u);
  EXPECT_EQ(response_status("HTTP/1.0 503 Service Unavailable\r\n"), 503u);
  EXPECT_EQ(response_status("HTTP/1.1 101\r\n"), 101u);
  EXPECT_EQ(response_status("HTTP/1.1 20 OK\r\n"), std::nullopt);
  EXPECT_EQ(response_status("HTTP/1.1 2000 OK\r\n"), std::nullopt);
  EXPECT_EQ(response_status("HTTP/2 200 OK\r\n"), std::nullopt);
  EXPECT_EQ(response_status("ICY 200 OK\r\n"), std::nullopt);
}

TEST(HttpResponse, HeaderValuesByNameWithoutCase) {
  const std::string_view head =
      "HTTP/1.1 200 OK\r\ncontent-LENGTH:  12 \r\nX-Empty:\r\nConnection: close\r\n";
  EXPECT_EQ(header_value(head, "Content-Length"), "12");
  EXPECT_EQ(header_value(head, "x-empty"), "");
  EXPECT_EQ(header_value(head, "connection"), "close");
  EXPECT_EQ(header_value(head, "Content-Type"), std::nullopt);
  // The status line is not a field, even with a colon in it.
  EXPECT_EQ(header_value("HTTP/1.1 200 a: b\r\n", "HTTP/1.1 200 a"), std::nullopt);
}

TEST(HttpResponse, PipelinedAnswersAreFramedByContentLength) {
  const std::string two =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfirst"
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 6\r\n\r\nsecond";
  HttpResponse out;
  std::string_view error;
  ASSERT_EQ(parse(two, out, error), ResponseParse::kComplete);
  EXPECT_EQ(out.status, 200u);
  EXPECT_EQ(out.body, "first");
  EXPECT_FALSE(out.closes);
  ASSERT_EQ(parse(std::string_view(two).substr(out.size), out, error), ResponseParse::kComplete);
  EXPECT_EQ(out.status, 503u);
  EXPECT_EQ(out.body, "second");
  EXPECT_EQ(out.size, two.size() - two.find("HTTP/1.1 503"));
}

TEST(HttpResponse, SplitAnywhereNeedsMoreUntilComplete) {
  const std::string whole = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
  HttpResponse out;
  std::string_view error;
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_EQ(parse(std::string_view(whole).substr(0, cut), out, error), ResponseParse::kNeedMore)
        << "cut at " << cut;
  }
  EXPECT_EQ(parse(whole, out, error), ResponseParse::kComplete);
  EXPECT_EQ(out.size, whole.size());
}

TEST(HttpResponse, ConnectionCloseIsSeen) {
  HttpResponse out;
  std::string_view error;
  ASSERT_EQ(parse("HTTP/1.1 401 Unauthorized\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
                  out, error),
            ResponseParse::kComplete);
  EXPECT_TRUE(out.closes);
  EXPECT_EQ(out.body, "");
}

TEST(HttpResponse, NoContentNeedsNoLength) {
  HttpResponse out;
  std::string_view error;
  EXPECT_EQ(parse("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1", out, error), ResponseParse::kComplete);
  EXPECT_EQ(out.size, std::string_view("HTTP/1.1 204 No Content\r\n\r\n").size());
}

TEST(HttpResponse, WhatCannotBeFramedIsAnError) {
  HttpResponse out;
  std::string_view error;
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n\r\nbody", out, error), ResponseParse::kError);
  EXPECT_EQ(error, "response without Content-Length");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", out, error),
            ResponseParse::kError);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 4x\r\n\r\nbody", out, error),
            ResponseParse::kError);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", out, error),
            ResponseParse::kError);
  EXPECT_EQ(parse("HTTP/1.1 100 Continue\r\n\r\n", out, error), ResponseParse::kError);
  EXPECT_EQ(parse("garbage\r\n\r\n", out, error), ResponseParse::kError);
  EXPECT_EQ(error, "malformed status line");
}

TEST(HttpResponse, SizeIsBounded) {
  HttpResponse out;
  std::string_view error;
  // A head that never ends, once past the bound.
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a'), out, error, 64),
            ResponseParse::kError);
  // A body announced larger than the bound, before it has arrived.
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", out, error, 64),
            ResponseParse::kError);
  EXPECT_EQ(error, "response too large");
  // A length that would overflow when added to the head.
  EXPECT_EQ(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", out, error, 64),
      ResponseParse::kError);
}

}  // namespace
}  // namespace switchboard::bench
