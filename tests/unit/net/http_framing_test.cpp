// HTTP/1.1 framing on the transport, in process (RFC 9112): one answer per request, in request
// order, nothing answered after a response that closes the connection, Host and absolute-form
// targets, and requests that arrive slowly (incremental parsing, the request deadline). Raw
// sockets, because the point is what exactly goes over the wire. Runs under ThreadSanitizer in
// CI (label "threads").
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "running_server.hpp"
#include "test_client.hpp"

namespace switchboard::net {
namespace {

using namespace std::chrono_literals;
using testing::RunningServer;
using testing::TestClient;

// Every wait on the server is bounded by this; a loaded machine (TSan, two cores shared by
// several builds) answers well within it.
constexpr auto kPatience = 5s;

struct Answer {
  int status = 0;
  std::string head;
  std::string body;
};

// The HTTP responses at the start of `bytes`, in order, and what follows them (a 101 ends the
// HTTP part of the stream).
struct Answers {
  std::vector<Answer> answers;
  std::string rest;
  std::vector<int> statuses() const {
    std::vector<int> out;
    for (const Answer& a : answers) out.push_back(a.status);
    return out;
  }
};

Answers split_answers(std::string_view bytes) {
  Answers out;
  while (bytes.starts_with("HTTP/1.1 ")) {
    const std::size_t end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    Answer answer;
    answer.head = std::string(bytes.substr(0, end + 4));
    answer.status = std::atoi(answer.head.c_str() + 9);
    std::string lower = answer.head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t length = 0;
    if (const auto at = lower.find("\r\ncontent-length: "); at != std::string::npos) {
      length = std::strtoul(lower.c_str() + at + 18, nullptr, 10);
    }
    answer.body = std::string(bytes.substr(end + 4, length));
    bytes.remove_prefix(std::min(bytes.size(), end + 4 + length));
    out.answers.push_back(std::move(answer));
    if (out.answers.back().status == 101) break;
  }
  out.rest = std::string(bytes);
  return out;
}

// Every answer until the server closes the connection.
Answers answers_until_closed(TestClient& client) {
  std::string bytes;
  EXPECT_TRUE(client.wait_eof(&bytes)) << "the server kept the connection open";
  return split_answers(bytes);
}

// Sends `bytes` on a new connection and collects every answer until the server closes it.
Answers exchange_until_closed(std::uint16_t port, std::string_view bytes) {
  TestClient client(port);
  EXPECT_TRUE(client.connected());
  client.send_raw(bytes);
  return answers_until_closed(client);
}

template <typename Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::uint64_t metric(RunningServer& server, std::string_view sample) {
  const std::string text = server.metrics();
  const std::size_t at = text.find("\n" + std::string(sample) + " ");
  if (at == std::string::npos) return 0;
  return std::strtoull(text.c_str() + at + sample.size() + 2, nullptr, 10);
}

// A handler that answers only when the test says so, from the test's thread (as an engine
// callback answers from another thread).
class LateHandler {
 public:
  http::Handler handler() {
    return [this](const http::Request&, http::Respond respond) {
      std::lock_guard lock(mutex_);
      respond_ = std::move(respond);
    };
  }
  bool called() {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(respond_);
  }
  void answer(std::string body) {
    http::Respond respond;
    {
      std::lock_guard lock(mutex_);
      respond = std::exchange(respond_, {});
    }
    respond(http::Response::json(200, std::move(body)));
  }

 private:
  std::mutex mutex_;
  http::Respond respond_;
};

// One worker: framing is per connection. POST /body answers with the request's body;
// GET /late answers when the test says so.
class HttpFraming : public ::testing::Test {
 protected:
  std::unique_ptr<RunningServer> start(config::Config c = {}) {
    c.workers = 1;
    return std::make_unique<RunningServer>(c, [this](Server& server) {
      server.router().add("POST", "/body", [](const http::Request& request, http::Respond respond) {
        http::Response response = http::Response::json(200, request.body);
        response.content_type = "application/octet-stream";
        respond(std::move(response));
      });
      server.router().add("GET", "/late", late_.handler());
    });
  }
  LateHandler late_;
};

const std::string kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kUpgradeEcho =
    "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

TEST_F(HttpFraming, PipelinedAnswersLeaveInRequestOrderWhenAHandlerAnswersLate) {
  auto server = start();
  TestClient client(server->port());
  client.send_raw("GET /late HTTP/1.1\r\nHost: x\r\n\r\n" + kHealth);
  ASSERT_TRUE(eventually([&] { return late_.called(); }));
  // /health is answered synchronously: served at once, it would overtake /late.
  late_.answer(R"({"late":true})");
  client.shut_write();
  const Answers answers = answers_until_closed(client);
  ASSERT_EQ(answers.statuses(), (std::vector<int>{200, 200}));
  EXPECT_EQ(answers.answers[0].body, R"({"late":true})");
  EXPECT_NE(answers.answers[1].body.find("\"status\""), std::string::npos);
}

TEST_F(HttpFraming, LateAnswerIsNotCutOffByTheRequestDeadline) {
  config::Config c;
  c.handshake_timeout = 200ms;
  auto server = start(c);
  TestClient client(server->port());
  client.send_raw("GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return late_.called(); }));
  // The server's own time: the deadline is the client's, not the handler's. Three timeouts
  // (the worker's clock cannot be injected here) give the sweep ample chances to misfire.
  std::this_thread::sleep_for(3 * c.handshake_timeout);
  late_.answer("{}");
  client.shut_write();
  EXPECT_EQ(answers_until_closed(client).statuses(), (std::vector<int>{200}));
}

TEST_F(HttpFraming, NothingIsAnsweredAfterARequestWithConnectionClose) {
  auto server = start();
  const Answers answers = exchange_until_closed(
      server->port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + kHealth);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{200}));
  EXPECT_EQ(answers.rest, "");
  // HTTP/1.0 closes by default.
  EXPECT_EQ(
      exchange_until_closed(server->port(), "GET /health HTTP/1.0\r\n\r\n" + kHealth).statuses(),
      (std::vector<int>{200}));
  EXPECT_EQ(metric(*server, "switchboard_http_requests_total"), 2u);
}

TEST_F(HttpFraming, NothingIsAnsweredAfterARefusedUpgrade) {
  config::Config c;
  c.allowed_origins = {"https://app.example"};
  auto server = start(c);
  // Refused by the handshake rules (403), then a valid upgrade on the same connection.
  const std::string forbidden =
      "GET /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  Answers answers = exchange_until_closed(server->port(), forbidden + kUpgradeEcho);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{403}));
  EXPECT_EQ(answers.rest, "");
  // Refused for its path (404), then a plain request.
  std::string nowhere = kUpgradeEcho;
  nowhere.replace(4, 5, "/nowhere");
  answers = exchange_until_closed(server->port(), nowhere + kHealth);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{404}));
  EXPECT_EQ(answers.rest, "");
}

TEST_F(HttpFraming, OversizedBodyGets413OnceAndTheConnectionCloses) {
  config::Config c;
  c.max_body_size = 1024;
  auto server = start(c);
  const std::string body(64 * 1024, 'b');
  Answers answers =
      exchange_until_closed(server->port(), "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                                std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{413}));
  EXPECT_EQ(answers.rest, "");
  // The same for a chunked body, refused at the chunk that goes over.
  std::string chunked = "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 64; ++i) chunked += "400\r\n" + std::string(1024, 'c') + "\r\n";
  answers = exchange_until_closed(server->port(), chunked + "0\r\n\r\n");
  EXPECT_EQ(answers.statuses(), (std::vector<int>{413}));
  EXPECT_EQ(answers.rest, "");
  // What the server read after the refusals was discarded, and counted.
  EXPECT_GT(metric(*server, "switchboard_http_discarded_bytes_total"), 0u);
}

TEST_F(HttpFraming, AfterAClosingAnswerTheServerHalfClosesAndDiscardsWhatFollows) {
  auto server = start();
  TestClient client(server->port());
  client.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  // The answer, then the server's FIN...
  EXPECT_EQ(answers_until_closed(client).statuses(), (std::vector<int>{200}));
  // ...while it still reads: a client still sending gets no reset before it has read the
  // answer (RFC 9112 §9.6). What it sends is discarded, unparsed, and counted.
  const std::string more(1000, 'm');
  client.send_raw(more);
  EXPECT_TRUE(eventually(
      [&] { return metric(*server, "switchboard_http_discarded_bytes_total") == more.size(); }));
  EXPECT_EQ(metric(*server, "switchboard_http_requests_total"), 1u);
}

TEST_F(HttpFraming, ClientThatHalfClosesAfterItsRequestGetsTheAnswer) {
  auto server = start();
  TestClient client(server->port());
  // Once the connection is established (the server's first read, at the accept, would see the
  // data before the end of the stream), requests and the end of the stream arrive together.
  client.send_raw(kHealth);
  ASSERT_EQ(client.read_http_response(), 200);
  client.send_then_shut_write(kHealth + kHealth);
  EXPECT_EQ(answers_until_closed(client).statuses(), (std::vector<int>{200, 200}));
}

TEST_F(HttpFraming, AbsoluteFormTargetIsRoutedByItsPath) {
  auto server = start();
  const std::string authority = "127.0.0.1:" + std::to_string(server->port());
  // RFC 9112 §3.2.2: the target's authority is used, Host ignored.
  Answers answers = exchange_until_closed(
      server->port(),
      "GET http://" + authority +
          "/health HTTP/1.1\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answers.statuses(), (std::vector<int>{200}));
  // An upgrade too.
  TestClient client(server->port());
  EXPECT_EQ(client.upgrade("http://" + authority + "/echo"), 101);
}

TEST_F(HttpFraming, Http11RequestWithoutHostOrWithTwoIs400AndCloses) {
  auto server = start();
  Answers answers = exchange_until_closed(server->port(), "GET /health HTTP/1.1\r\n\r\n" + kHealth);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{400}));
  EXPECT_EQ(answers.rest, "");
  answers = exchange_until_closed(server->port(),
                                  "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + kHealth);
  EXPECT_EQ(answers.statuses(), (std::vector<int>{400}));
  // HTTP/1.0 needs no Host.
  EXPECT_EQ(exchange_until_closed(server->port(), "GET /health HTTP/1.0\r\n\r\n").statuses(),
            (std::vector<int>{200}));
}

TEST_F(HttpFraming, ChunkedBodyDrippedByteByByteIsAnsweredWithItsContent) {
  auto server = start();
  TestClient client(server->port());
  client.no_delay();
  std::string request = "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (int i = 0; i < 64; ++i) {
    const std::string data(16, static_cast<char>('a' + i % 26));
    request += "10;n=" + std::to_string(i) + "\r\n" + data + "\r\n";
    body += data;
  }
  request += "0\r\nX-Trailer: t\r\n\r\n" + kHealth;  // a trailer, then a pipelined request
  for (const char byte : request) client.send_raw(std::string_view(&byte, 1));
  std::string answered;
  EXPECT_EQ(client.read_http_response(&answered), 200);
  EXPECT_EQ(answered, body);
  EXPECT_EQ(client.read_http_response(), 200);
}

TEST_F(HttpFraming, RequestDrippedPastTheHandshakeTimeoutIsClosedAndCounted) {
  config::Config c;
  c.handshake_timeout = 300ms;
  auto server = start(c);
  TestClient client(server->port());
  client.no_delay();
  // A first request answered: the deadline for the next one runs from its answer.
  client.send_raw(kHealth);
  ASSERT_EQ(client.read_http_response(), 200);
  client.send_raw("POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffff\r\n");
  // One body byte every 10 ms: the chunk would take over ten minutes. The pacing is the
  // scenario (the client's clock, not the server's), so it is a real sleep.
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - started < kPatience) {
    client.send_raw("d");
    std::this_thread::sleep_for(10ms);
    closed = client.closed_by_server();
  }
  ASSERT_TRUE(closed) << "a dripped request was never cut off";
  EXPECT_GE(std::chrono::steady_clock::now() - started, c.handshake_timeout / 2);
  // The dripped request got no answer, and counts as a timeout.
  std::string after;
  EXPECT_TRUE(client.wait_eof(&after));
  EXPECT_EQ(after, "");
  EXPECT_EQ(metric(*server, "switchboard_handshakes_total{result=\"timeout\"}"), 1u);
}

}  // namespace
}  // namespace switchboard::net
