// The call-out connection pool, through post_json against a real local listener: the cap on
// open connections, keep-alive reuse, the retry of a stale kept-alive connection, the bounded
// wait queue and the deadline that covers the wait.
#include "callout_pool.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http_test_server.hpp"
#include "webhook_client.hpp"

namespace switchboard::node {
namespace {

using namespace std::chrono_literals;
using test::HttpTestServer;
using Behaviour = HttpTestServer::Behaviour;
using Answer = std::pair<unsigned, std::string>;  // status, body or failure detail
using Clock = std::chrono::steady_clock;

// Calls made on one io_context, run on the test thread until every one has called back
// (bounded: 10 s), with what each callback saw.
class Calls {
 public:
  struct Result {
    int calls = 0;
    Answer answer;
    std::chrono::milliseconds elapsed{0};  // from start()
    std::size_t finished_as = 0;           // 1 for the first callback, 2 for the next, ...
    std::size_t server_requests = 0;       // requests the server had read by then
  };

  Calls(std::size_t count, const HttpTestServer& server) : results_(count), server_(server) {}

  // Starts call `i`; `then` runs inside its callback (to chain the next call).
  void start(std::size_t i, const Callout& callout, std::function<void()> then = {}) {
    const auto t0 = Clock::now();
    post_json(io_, callout, "{}", [this, i, t0, then](unsigned status, std::string body) {
      Result& r = results_[i];
      ++r.calls;
      r.answer = {status, std::move(body)};
      r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
      r.finished_as = ++finished_;
      r.server_requests = server_.received().size();
      if (then) then();
      // Kept-alive idle connections would hold the loop until their idle timeout.
      if (finished_ == results_.size()) io_.stop();
    });
  }

  void run() { io_.run_for(10s); }
  const Result& operator[](std::size_t i) const { return results_[i]; }
  std::size_t size() const { return results_.size(); }

 private:
  boost::asio::io_context io_;
  std::vector<Result> results_;
  std::size_t finished_ = 0;
  const HttpTestServer& server_;
};

Callout callout(const HttpTestServer& server, const std::string& path, std::size_t connections,
                std::size_t queued = 1024, std::chrono::milliseconds timeout = 5s) {
  Callout c;
  c.url = server.url(path);
  c.timeout = timeout;
  c.limits.max_connections = connections;
  c.limits.max_queued = queued;
  c.stats = std::make_shared<CalloutStats>();
  return c;
}

HttpTestServer::Reply kept_alive(std::string body, std::chrono::milliseconds delay = 0ms) {
  HttpTestServer::Reply r{Behaviour::answer, 200, std::move(body)};
  r.keep_alive = true;
  r.delay = delay;
  return r;
}

TEST(CalloutPool, FiftyConcurrentCallsNeverOpenMoreThanTheCap) {
  HttpTestServer server;
  // Each answer takes a while, so that the calls really overlap.
  server.route("/slow", kept_alive("ok", 20ms));
  const Callout c = callout(server, "/slow", 4);
  Calls calls(50, server);
  for (std::size_t i = 0; i < calls.size(); ++i) calls.start(i, c);
  calls.run();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].calls, 1) << i;
    EXPECT_EQ(calls[i].answer, (Answer{200, "ok"})) << i;
  }
  EXPECT_EQ(server.received().size(), 50u);
  EXPECT_LE(server.max_open(), 4u);
  EXPECT_EQ(server.accepted(), 4u) << "the waiting calls reuse the four kept-alive connections";
  EXPECT_EQ(c.stats->rejected_total.load(), 0u);
}

TEST(CalloutPool, ConnectionsTheServerClosesFreeTheirSlotForTheWaitingCalls) {
  HttpTestServer server;
  server.route("/close", {Behaviour::answer, 200, "ok", false, 10ms});  // Connection: close
  const Callout c = callout(server, "/close", 2);
  Calls calls(10, server);
  for (std::size_t i = 0; i < calls.size(); ++i) calls.start(i, c);
  calls.run();
  for (std::size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].answer, (Answer{200, "ok"})) << i;
  EXPECT_EQ(server.accepted(), 10u);
  // The server closes its side before the client reads the answer, so it counts each
  // connection closed before the client can open the next one.
  EXPECT_LE(server.max_open(), 2u);
}

TEST(CalloutPool, SequentialCallsReuseOneKeptAliveConnection) {
  HttpTestServer server;
  server.route("/k", kept_alive("ok"));
  const Callout c = callout(server, "/k", 4);
  Calls calls(5, server);
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    if (i < calls.size()) calls.start(i, c, [&next, i] { next(i + 1); });
  };
  next(0);
  calls.run();
  for (std::size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].answer, (Answer{200, "ok"})) << i;
  EXPECT_EQ(server.received().size(), 5u);
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(CalloutPool, StaleKeptAliveConnectionIsRetriedOnceOnAFreshOne) {
  HttpTestServer server;
  // The first answer keeps the connection; the server then closes it on the next request
  // without a byte (what a keep-alive timeout racing our request looks like).
  server.route("/r", std::vector<HttpTestServer::Reply>{kept_alive("first"),
                                                        {Behaviour::close, 0, ""},
                                                        {Behaviour::answer, 200, "second"}});
  const Callout c = callout(server, "/r", 4);
  Calls calls(2, server);
  calls.start(0, c, [&] { calls.start(1, c); });
  calls.run();
  EXPECT_EQ(calls[0].answer, (Answer{200, "first"}));
  EXPECT_EQ(calls[1].calls, 1);
  EXPECT_EQ(calls[1].answer, (Answer{200, "second"}));
  EXPECT_EQ(server.received().size(), 3u) << "the second call's request, then its retry";
  EXPECT_EQ(server.accepted(), 2u);
}

TEST(CalloutPool, AFreshConnectionClosedWithoutAnswerIsNotRetried) {
  HttpTestServer server;
  server.route("/r", {Behaviour::close, 0, ""});
  Calls calls(1, server);
  calls.start(0, callout(server, "/r", 4));
  calls.run();
  EXPECT_EQ(calls[0].answer, (Answer{0, "connection closed before a complete response"}));
  EXPECT_EQ(server.received().size(), 1u) << "the server may have acted on it: never resent";
}

TEST(CalloutPool, FullQueueFailsAtOnceAndIsCounted) {
  HttpTestServer server;
  server.route("/hang", {Behaviour::hang, 0, ""});
  // One connection (held by the hanging call), two places in the queue, four calls. The holder
  // outlives the others' deadline: were it to time out first, its connection would be free for
  // a queued call before that call's own deadline (a race a loaded sanitizer run loses).
  const Callout holder = callout(server, "/hang", 1, 2, 1s);
  const Callout c = callout(server, "/hang", 1, 2, 300ms);
  Calls calls(4, server);
  calls.start(0, holder);
  for (std::size_t i = 1; i < calls.size(); ++i) calls.start(i, c);
  calls.run();
  EXPECT_EQ(calls[3].calls, 1);
  EXPECT_EQ(calls[3].answer,
            (Answer{0, "too many call-outs waiting (2 queued for 1 connections)"}));
  EXPECT_EQ(calls[3].finished_as, 1u) << "refused at once, not at the deadline";
  EXPECT_LT(calls[3].elapsed, 300ms);
  EXPECT_EQ(c.stats->rejected_total.load(), 1u);
  EXPECT_EQ(calls[0].answer, (Answer{0, "timed out after 1000 ms"}));
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(calls[i].answer, (Answer{0, "timed out after 300 ms"})) << i;
    EXPECT_EQ(calls[i].server_requests, 1u) << i << ": timed out while waiting, never sent";
  }
}

TEST(CalloutPool, DeadlineIncludesTheWaitForAConnection) {
  HttpTestServer server;
  server.route("/hang", {Behaviour::hang, 0, ""});
  Calls calls(2, server);
  calls.start(0, callout(server, "/hang", 1, 1024, 1s));     // holds the only connection
  calls.start(1, callout(server, "/hang", 1, 1024, 200ms));  // waits behind it
  calls.run();
  EXPECT_EQ(calls[1].answer, (Answer{0, "timed out after 200 ms"}));
  EXPECT_EQ(calls[1].finished_as, 1u);
  EXPECT_EQ(calls[1].server_requests, 1u) << "it timed out while waiting, never sent";
  EXPECT_GE(calls[1].elapsed, 200ms);
  EXPECT_LT(calls[1].elapsed, 1s);  // generous for sanitizer builds: well before the first
  EXPECT_EQ(calls[0].answer, (Answer{0, "timed out after 1000 ms"}));
}

TEST(CalloutPool, IdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpTestServer server;
  server.route("/k", kept_alive("ok"));
  Callout c = callout(server, "/k", 4);
  c.limits.idle_timeout = 300ms;
  boost::asio::io_context io;
  Answer answer;
  Clock::time_point answered;
  post_json(io, c, "{}", [&](unsigned status, std::string body) {
    answer = {status, std::move(body)};
    answered = Clock::now();
  });
  io.run_for(10s);  // returns once nothing is left: the idle connection closed
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - answered);
  EXPECT_EQ(answer, (Answer{200, "ok"}));
  EXPECT_GE(idle, 300ms) << "the connection was kept for reuse";
  EXPECT_LT(idle, 5s);  // and then closed (generous for sanitizer builds)
}

TEST(CalloutPool, CloseIdleCalloutsLetsTheLoopEndAtOnce) {
  HttpTestServer server;
  server.route("/k", kept_alive("ok"));
  const Callout c = callout(server, "/k", 4);  // the default idle timeout: 4 s
  boost::asio::io_context io;
  Answer answer;
  const auto t0 = Clock::now();
  post_json(io, c, "{}", [&](unsigned status, std::string body) {
    answer = {status, std::move(body)};
    close_idle_callouts(io);
  });
  io.run_for(10s);
  EXPECT_EQ(answer, (Answer{200, "ok"}));
  EXPECT_LT(Clock::now() - t0, c.limits.idle_timeout);
}

}  // namespace
}  // namespace switchboard::node
