#include "switchboard/http/request.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

// A connection's use of RequestParser: each piece is appended to what the parser left
// unconsumed, and the parser is handed that. Records the work: the bytes handed to the parser
// over all calls, and the most it was handed again (left unconsumed) after the header.
struct DripResult {
  ParseOutcome outcome;
  std::size_t handed = 0;
  std::size_t most_pending_after_header = 0;
  bool in_progress_midway = false;
};

DripResult drip(std::string_view message, std::size_t header_size, std::size_t piece = 1,
                const ParseLimits& limits = kDefaults) {
  RequestParser parser;
  DripResult result;
  std::string pending;
  for (std::size_t at = 0; at < message.size(); at += piece) {
    pending.append(message.substr(at, piece));
    result.handed += pending.size();
    result.outcome = parser.parse(pending, limits);
    if (result.outcome.status != ParseStatus::incomplete) break;
    pending.erase(0, result.outcome.consumed);
    if (at >= header_size) {
      result.most_pending_after_header = std::max(result.most_pending_after_header, pending.size());
    }
    result.in_progress_midway = result.in_progress_midway || parser.in_progress();
  }
  return result;
}

std::string chunked_request(std::size_t chunks, std::string& body) {
  std::string message = "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < chunks; ++i) {
    const std::string data(16, static_cast<char>('a' + i % 26));
    message += "10\r\n" + data + "\r\n";
    body += data;
  }
  return message + "0\r\n\r\n";
}

TEST(RequestParser, ChunkedBodyDrippedByteByByteIsScannedOnce) {
  std::string body;
  const std::string message = chunked_request(1000, body);
  const std::size_t header = message.find("\r\n\r\n") + 4;
  const DripResult result = drip(message, header);
  ASSERT_EQ(result.outcome.status, ParseStatus::complete);
  EXPECT_EQ(result.outcome.request.body, body);
  // Body bytes are taken as they arrive: at most a chunk line ("\r\n10\r\n") waits to be
  // handed again, so the work is linear in the size (a parser that re-parsed the buffered
  // request would be handed the whole of it on every byte: some 170 MB here).
  EXPECT_LE(result.most_pending_after_header, 6u);
  EXPECT_LE(result.handed, header * header + 8 * message.size());
}

TEST(RequestParser, DeclaredBodyDrippedByteByByteIsTakenAsItArrives) {
  const std::string body(20000, 'b');
  const std::string message = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n" + body;
  const std::size_t header = message.size() - body.size();
  const DripResult result = drip(message, header);
  ASSERT_EQ(result.outcome.status, ParseStatus::complete);
  EXPECT_EQ(result.outcome.request.body, body);
  EXPECT_EQ(result.most_pending_after_header, 0u);
  EXPECT_LE(result.handed, header * header + message.size());
}

// However the bytes are split in two, the incremental parser finds what a one-shot parse does.
TEST(RequestParser, AnySplitGivesTheOneShotResult) {
  const std::vector<std::string> messages = {
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n",
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;x=\"y\"\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\nnext",
      "GET http://h:1/d?q HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n\x81\x80",
      "POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
      "GET /f HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
  };
  for (const std::string& message : messages) {
    const ParseOutcome whole = parse(message);
    for (std::size_t split = 1; split < message.size(); ++split) {
      RequestParser parser;
      std::string pending = message.substr(0, split);
      ParseOutcome out = parser.parse(pending, kDefaults);
      std::size_t consumed = out.consumed;
      if (out.status == ParseStatus::incomplete) {
        pending.erase(0, out.consumed);
        pending += message.substr(split);
        out = parser.parse(pending, kDefaults);
        consumed += out.consumed;
      }
      SCOPED_TRACE(message.substr(0, 20) + " split at " + std::to_string(split));
      ASSERT_EQ(out.status, whole.status);
      EXPECT_EQ(out.error_status, whole.error_status);
      if (whole.status != ParseStatus::complete) continue;
      EXPECT_EQ(consumed, whole.consumed);
      EXPECT_EQ(out.request.target, whole.request.target);
      EXPECT_EQ(out.request.body, whole.request.body);
      EXPECT_EQ(out.request.headers, whole.request.headers);
    }
  }
}

TEST(RequestParser, HoldsStateOnlyWhileARequestIsPartlyReceived) {
  RequestParser parser;
  EXPECT_FALSE(parser.in_progress());
  EXPECT_EQ(parser.parse("", kDefaults).status, ParseStatus::incomplete);
  EXPECT_FALSE(parser.in_progress());  // nothing received: nothing allocated
  std::string body;
  const DripResult dripped = drip(chunked_request(3, body), 0, 7);
  EXPECT_TRUE(dripped.in_progress_midway);
  // A complete request or an error releases the state; the next request starts afresh.
  const std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  ParseOutcome first = parser.parse(two, kDefaults);
  ASSERT_EQ(first.status, ParseStatus::complete);
  EXPECT_FALSE(parser.in_progress());
  ParseOutcome second = parser.parse(std::string_view(two).substr(first.consumed), kDefaults);
  ASSERT_EQ(second.status, ParseStatus::complete);
  EXPECT_EQ(second.request.target, "/b");
  EXPECT_EQ(parser.parse("GET /x HTTP/1.1\r\nBad Field\r\n\r\n", kDefaults).status,
            ParseStatus::error);
  EXPECT_FALSE(parser.in_progress());
  EXPECT_EQ(parser.parse("GET /c HT", kDefaults).status, ParseStatus::incomplete);
  EXPECT_TRUE(parser.in_progress());
  parser.reset();
  EXPECT_FALSE(parser.in_progress());
}

TEST(RequestParser, ChunkLineLongerThanTheHeaderLimitIs400) {
  ParseLimits limits;
  limits.max_header_size = 256;
  const std::string header = "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  // A chunk extension that never ends would otherwise be kept, and handed again, forever.
  const std::string endless = header + "5;ext=" + std::string(300, 'x');
  const DripResult result = drip(endless, header.size(), 16, limits);
  EXPECT_EQ(result.outcome.status, ParseStatus::error);
  EXPECT_EQ(result.outcome.error_status, 400u);
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

TEST(ParseRequest, Http11RequestNeedsExactlyOneValidHost) {
  const auto status = [](std::string_view bytes) {
    const ParseOutcome outcome = parse(bytes);
    return outcome.status == ParseStatus::error ? outcome.error_status : 0u;
  };
  // RFC 9112 §3.2.
  EXPECT_EQ(status("GET / HTTP/1.1\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400u);
  EXPECT_EQ(status("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400u);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n").error_reason, "missing Host header");
  // Refused at the header, before a body is read.
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), 400u);
  // Valid: a name, an address, an IP-literal, a port, empty (no authority); HTTP/1.0 without.
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: api.example.com:8080\r\n\r\n"), 0u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 0u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), 0u);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 0u);
  EXPECT_EQ(status("GET / HTTP/1.0\r\n\r\n"), 0u);
}

TEST(ParseRequest, AbsoluteFormTargetIsReducedToItsPathAndItsAuthorityReplacesHost) {
  const auto parsed = [](std::string_view target) {
    return parse("GET " + std::string(target) + " HTTP/1.1\r\nHost: elsewhere\r\n\r\n");
  };
  // RFC 9112 §3.2.2.
  ParseOutcome outcome = parsed("http://api.example.com:8080/health?x=1");
  ASSERT_EQ(outcome.status, ParseStatus::complete);
  EXPECT_EQ(outcome.request.target, "/health?x=1");
  EXPECT_EQ(outcome.request.path(), "/health");
  EXPECT_EQ(outcome.request.header("Host"), "api.example.com:8080");
  ASSERT_EQ(outcome.request.headers.size(), 1u);
  outcome = parsed("HTTPS://h");
  ASSERT_EQ(outcome.status, ParseStatus::complete);
  EXPECT_EQ(outcome.request.target, "/");  // an empty path is "/" (§3.3)
  EXPECT_EQ(outcome.request.header("Host"), "h");
  outcome = parsed("http://h?q=1");
  ASSERT_EQ(outcome.status, ParseStatus::complete);
  EXPECT_EQ(outcome.request.target, "/?q=1");
  // Without a host, or with userinfo (RFC 9110 §4.2.1, §4.2.4): refused.
  EXPECT_EQ(parsed("http:///health").error_status, 400u);
  EXPECT_EQ(parsed("http://user:pw@h/health").error_status, 400u);
  // Other forms are left as sent (the router does not know them: 404).
  EXPECT_EQ(parsed("*").request.target, "*");
  EXPECT_EQ(parsed("ftp://h/x").request.target, "ftp://h/x");
  // Host is still required of HTTP/1.1 (§3.2), absolute-form or not.
  EXPECT_EQ(parse("GET http://h/ HTTP/1.1\r\n\r\n").error_status, 400u);
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
