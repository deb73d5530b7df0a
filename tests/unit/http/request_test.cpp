#include "switchboard/http/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::http {
namespace {

const ParseLimits kDefaults;

ParseOutcome parse(std::string_view bytes, const ParseLimits& limits = kDefaults) {
  return parse_request(bytes, limits);
}

// Every proper prefix is incomplete; the whole message is complete and consumes exactly its
// own bytes, also when more bytes follow.
void expect_incremental(const std::string& message) {
  for (std::size_t n = 0; n < message.size(); ++n) {
    const ParseOutcome outcome = parse(std::string_view(message).substr(0, n));
    ASSERT_EQ(outcome.status, ParseStatus::incomplete) << "prefix of " << n << " bytes";
  }
  const ParseOutcome whole = parse(message);
  ASSERT_EQ(whole.status, ParseStatus::complete);
  EXPECT_EQ(whole.consumed, message.size());
  const ParseOutcome followed = parse(message + "GET /next HTTP/1.1\r\n");
  ASSERT_EQ(followed.status, ParseStatus::complete);
  EXPECT_EQ(followed.consumed, message.size());
}

TEST(ParseRequest, GetSplitAtEveryByteIsIncompleteUntilTheLast) {
  expect_incremental("GET /health?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
}

TEST(ParseRequest, PostWithContentLengthSplitAtEveryByte) {
  const std::string message =
      "POST /api/publish HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world";
  expect_incremental(message);
  EXPECT_EQ(parse(message).request.body, "hello world");
}

TEST(ParseRequest, IncompleteDeclaredBodyTellsHowManyBytesTheRequestNeeds) {
  const std::string header = "POST /api/publish HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  const std::string message = header + "hello world";
  // Until the header is complete nothing is known; after it, the total size is.
  EXPECT_EQ(parse(header.substr(0, header.size() - 1)).needed, 0u);
  for (std::size_t n = header.size(); n < message.size(); ++n) {
    const ParseOutcome outcome = parse(std::string_view(message).substr(0, n));
    ASSERT_EQ(outcome.status, ParseStatus::incomplete) << n;
    EXPECT_EQ(outcome.needed, message.size()) << n;
  }
  // A chunked body has no size to announce.
  const std::string chunked =
      "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
  EXPECT_EQ(parse(chunked).needed, 0u);
}

TEST(ParseRequest, ChunkedBodySplitAtEveryByteIsDecoded) {
  const std::string message =
      "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
  expect_incremental(message);
  EXPECT_EQ(parse(message).request.body, "hello world");
}

TEST(ParseRequest, PopulatesRequestLineAndHeadersAsSent) {
  const ParseOutcome outcome = parse(
      "DELETE /api/users/42?force=1 HTTP/1.1\r\nHost: h\r\nX-Trace-ID:  abc \r\n"
      "x-trace-id: second\r\n\r\n");
  ASSERT_EQ(outcome.status, ParseStatus::complete);
  const Request& request = outcome.request;
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.target, "/api/users/42?force=1");
  EXPECT_EQ(request.version, 11u);
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(request.headers[1].first, "X-Trace-ID");
  EXPECT_EQ(request.headers[1].second, "abc");
  EXPECT_EQ(request.header("X-TRACE-ID"), "abc");
  EXPECT_TRUE(request.has_header("host"));
  EXPECT_FALSE(request.has_header("Cookie"));
  EXPECT_EQ(request.header("Cookie"), "");
  EXPECT_EQ(request.path(), "/api/users/42");
  EXPECT_TRUE(request.body.empty());
}

TEST(ParseRequest, PipelinedRequestsAreParsedOneAfterAnother) {
  const std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
  const std::string third = "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string buffered = first + second + third;
  std::vector<std::string> targets;
  while (!buffered.empty()) {
    const ParseOutcome outcome = parse(buffered);
    ASSERT_EQ(outcome.status, ParseStatus::complete);
    ASSERT_GT(outcome.consumed, 0u);
    targets.push_back(outcome.request.target);
    buffered.erase(0, outcome.consumed);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/a", "/b", "/c"}));
}

TEST(ParseRequest, BytesAfterAnUpgradeRequestAreNotConsumed) {
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  // A masked text frame "Hi" sent right behind the request.
  const std::string frame = "\x81\x82\x01\x02\x03\x04\x49\x6b";
  const ParseOutcome outcome = parse(upgrade + frame);
  ASSERT_EQ(outcome.status, ParseStatus::complete);
  EXPECT_EQ(outcome.consumed, upgrade.size());
  EXPECT_TRUE(outcome.request.body.empty());
  expect_incremental(upgrade);
}

TEST(ParseRequest, UpgradeRequestDeclaringABodyIsRefused) {
  const ParseOutcome outcome = parse(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Content-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(outcome.status, ParseStatus::error);
  EXPECT_EQ(outcome.error_status, 400u);
}

TEST(ParseRequest, HeaderOverTheLimitIs431EvenBeforeItEnds) {
  ParseLimits limits;
  limits.max_header_size = 256;
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  std::string unterminated = start + std::string(limits.max_header_size, 'a');
  const ParseOutcome outcome = parse(unterminated, limits);
  EXPECT_EQ(outcome.status, ParseStatus::error);
  EXPECT_EQ(outcome.error_status, 431u);
  EXPECT_FALSE(outcome.error_reason.empty());
}

TEST(ParseRequest, HeaderLimitCoversRequestLineAndFieldsTogether) {
  ParseLimits limits;
  limits.max_header_size = 256;
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const std::string at_limit = start + std::string(256 - start.size() - end.size(), 'a') + end;
  ASSERT_EQ(at_limit.size(), limits.max_header_size);
  EXPECT_EQ(parse(at_limit, limits).status, ParseStatus::complete);
  const std::string over = start + std::string(257 - start.size() - end.size(), 'a') + end;
  const ParseOutcome outcome = parse(over, limits);
  EXPECT_EQ(outcome.status, ParseStatus::error);
  EXPECT_EQ(outcome.error_status, 431u);
  // A long request line counts towards the same limit.
  const std::string long_line =
      "GET /" + std::string(200, 'p') + " HTTP/1.1\r\nX-Pad: " + std::string(60, 'a') + end;
  EXPECT_EQ(parse(long_line, limits).error_status, 431u);
}

TEST(ParseRequest, DeclaredBodyOverTheLimitIs413BeforeTheBodyArrives) {
  ParseLimits limits;
  limits.max_body_size = 10;
  const ParseOutcome outcome =
      parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits);
  EXPECT_EQ(outcome.status, ParseStatus::error);
  EXPECT_EQ(outcome.error_status, 413u);
  EXPECT_EQ(
      parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits).status,
      ParseStatus::complete);
}

TEST(ParseRequest, ChunkedBodyOverTheLimitIs413) {
  ParseLimits limits;
  limits.max_body_size = 10;
  const ParseOutcome outcome = parse(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
      "chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n",
      limits);
  EXPECT_EQ(outcome.status, ParseStatus::error);
  EXPECT_EQ(outcome.error_status, 413u);
}

TEST(ParseRequest, MalformedRequestsAre400) {
  const std::vector<std::string> malformed = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
      "GET / FTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nNo Colon Here\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "G\x01T / HTTP/1.1\r\n\r\n",
  };
  for (const std::string& bytes : malformed) {
    const ParseOutcome outcome = parse(bytes);
    EXPECT_EQ(outcome.status, ParseStatus::error) << bytes;
    EXPECT_EQ(outcome.error_status, 400u) << bytes;
  }
}

TEST(ParseRequest, KeepAliveFollowsVersionAndConnectionHeader) {
  const auto keep_alive = [](std::string_view version, std::string_view connection) {
    std::string bytes = "GET / " + std::string(version) + "\r\nHost: h\r\n";
    if (!connection.empty()) bytes += "Connection: " + std::string(connection) + "\r\n";
    const ParseOutcome outcome = parse(bytes + "\r\n");
    EXPECT_EQ(outcome.status, ParseStatus::complete);
    return outcome.request.keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1", ""));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "close"));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "foo, Close"));
  EXPECT_FALSE(keep_alive("HTTP/1.0", ""));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "keep-alive"));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "Keep-Alive"));
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").request.version, 10u);
}

Request with_target(std::string target) {
  Request request;
  request.target = std::move(target);
  return request;
}

TEST(Request, QueryParamsArePercentDecodedWithPlusAsSpace) {
  const Request request =
      with_target("/ws?token=a%2Bb%3D%3D&name=hello+world&empty=&flag&bad=%zz%4&%74ag=x&token=2");
  EXPECT_EQ(request.path(), "/ws");
  EXPECT_EQ(request.query_param("token"), "a+b==");  // the first occurrence wins
  EXPECT_EQ(request.query_param("name"), "hello world");
  EXPECT_EQ(request.query_param("empty"), "");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("bad"), "%zz%4");
  EXPECT_EQ(request.query_param("tag"), "x");
  EXPECT_EQ(request.query_param("missing"), std::nullopt);
  EXPECT_EQ(request.query_param("tok"), std::nullopt);
  EXPECT_EQ(with_target("/plain").query_param("token"), std::nullopt);
  EXPECT_EQ(with_target("/plain").path(), "/plain");
}

TEST(Request, CookiesAreFoundByExactName) {
  Request request;
  request.headers = {{"Host", "h"}, {"cookie", "a=1;  token=xyz ;quoted=\"q v\"; tok=short"}};
  EXPECT_EQ(request.cookie("a"), "1");
  EXPECT_EQ(request.cookie("token"), "xyz");
  EXPECT_EQ(request.cookie("quoted"), "q v");
  EXPECT_EQ(request.cookie("tok"), "short");
  EXPECT_EQ(request.cookie("missing"), std::nullopt);
  EXPECT_EQ(request.cookie("to"), std::nullopt);
  request.headers.emplace_back("Cookie", "later=2");
  EXPECT_EQ(request.cookie("later"), "2");
  EXPECT_EQ(Request{}.cookie("a"), std::nullopt);
}

}  // namespace
}  // namespace switchboard::http
