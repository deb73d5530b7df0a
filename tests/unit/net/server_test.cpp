// The transport end to end, in process: a Server with real sockets on loopback, driven by
// blocking test clients. Runs under ThreadSanitizer in CI (label "threads").
#include "switchboard/net/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "paused_reader.hpp"
#include "running_server.hpp"
#include "test_client.hpp"
#include "wait_until.hpp"

namespace switchboard::net {
namespace {

using testing::Frame;
using testing::RunningServer;
using testing::TestClient;
using testing::two_workers;
using testing::wait_until;

TEST(Server, EchoesTextAndBinary) {
  RunningServer server(two_workers());
  TestClient client(server.port());
  ASSERT_EQ(client.upgrade("/echo"), 101);
  client.send_text("hello");
  client.send_frame(0x2, std::string("\x00\x01\x02", 3));
  auto text = client.read_frame();
  auto binary = client.read_frame();
  ASSERT_TRUE(text && binary);
  EXPECT_EQ(text->opcode, 0x1);
  EXPECT_EQ(text->payload, "hello");
  EXPECT_EQ(binary->opcode, 0x2);
  EXPECT_EQ(binary->payload, std::string("\x00\x01\x02", 3));
}

TEST(Server, UnknownPathIs404) {
  RunningServer server(two_workers());
  TestClient client(server.port());
  EXPECT_EQ(client.upgrade("/nowhere"), 404);
}

TEST(Server, RequestBodyDrippedInSmallSegmentsIsAnsweredOnceComplete) {
  RunningServer server(two_workers());
  TestClient client(server.port());
  constexpr std::size_t kBody = 20000;
  client.send_raw("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string(kBody) + "\r\n\r\n");
  const std::string segment(100, 'b');
  for (std::size_t sent = 0; sent < kBody; sent += segment.size()) client.send_raw(segment);
  // Answered when the body's last byte arrives, not later.
  EXPECT_EQ(client.read_http_response(), 404);
  // A body and a pipelined request arriving together are both served.
  client.send_raw("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                  "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.read_http_response(), 404);
  EXPECT_EQ(client.read_http_response(), 200);
}

TEST(Server, BroadcastReachesEveryConnectionOnEveryWorkerInOrder) {
  RunningServer server(two_workers());
  constexpr int kClients = 24;
  constexpr int kMessages = 200;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(server.port()));
    ASSERT_EQ(clients.back()->upgrade("/broadcast"), 101);
  }
  // The kernel spreads connections over both workers' listeners; make sure both have some,
  // otherwise this test would not cross workers.
  ASSERT_TRUE(wait_until([&] { return server->ws_connections() >= kClients; }))
      << "the server counted " << server->ws_connections() << " of " << kClients
      << " upgraded connections";
  const std::string metrics = server.metrics();
  EXPECT_EQ(metrics.find("switchboard_worker_connections{worker=\"0\"} 0\n"), std::string::npos);
  EXPECT_EQ(metrics.find("switchboard_worker_connections{worker=\"1\"} 0\n"), std::string::npos);

  for (int m = 0; m < kMessages; ++m) clients[0]->send_text("message " + std::to_string(m));
  for (auto& client : clients) {
    for (int m = 0; m < kMessages; ++m) {
      auto frame = client->read_frame();
      ASSERT_TRUE(frame) << "message " << m << " missing";
      ASSERT_EQ(frame->payload, "message " + std::to_string(m));
    }
  }
}

TEST(Server, ReaderThatPausesGetsEverythingInOrderOnceItReadsAgain) {
  config::Config c = two_workers();
  c.outbound_queue_limit = 32 * 1024 * 1024;
  c.outbound_queue_hard_limit = 32 * 1024 * 1024;
  c.max_message_size = 64 * 1024;
  RunningServer server(c);
  testing::expect_paused_reader_gets_everything(server, false);
}

TEST(Server, SlowConsumerIsCutOffWithItsCodeAndOthersKeepReceiving) {
  config::Config c = two_workers();
  c.outbound_queue_limit = 64 * 1024;
  c.outbound_queue_grace = std::chrono::milliseconds(200);
  c.max_message_size = 64 * 1024;
  RunningServer server(c);
  TestClient slow(server.port(), 5000, 4096);  // never reads until the end
  ASSERT_EQ(slow.upgrade("/broadcast"), 101);
  TestClient publisher(server.port());
  ASSERT_EQ(publisher.upgrade("/broadcast"), 101);
  ASSERT_TRUE(wait_until([&] { return server->ws_connections() >= 2; }))
      << "the server counted " << server->ws_connections() << " of 2 upgraded connections";

  // Up to 16 MB: beyond what loopback socket buffers absorb (tcp_wmem reaches 4 MiB) plus the
  // bound. Publishing stops as soon as the server reports the cut-off, so that the slow client
  // starts reading well within the 2 s the server waits for it to take the close frame (a
  // client that never reads is dropped without one), however slow the build (TSan) is.
  const std::string payload(32000, 'x');
  constexpr int kMaxMessages = 500;
  const std::string cut_off = "switchboard_slow_consumer_closes_total 1\n";
  int published = 0;
  while (published < kMaxMessages && server.metrics().find(cut_off) == std::string::npos) {
    publisher.send_text(payload);
    auto echo = publisher.read_frame();  // the publisher keeps up and receives everything
    ASSERT_TRUE(echo) << published;
    ASSERT_EQ(echo->payload.size(), payload.size());
    ++published;
  }
  // Cut once its queue has stayed over the soft limit for the grace (the publishing above may
  // outrun it).
  ASSERT_TRUE(wait_until([&] { return server.metrics().find(cut_off) != std::string::npos; }))
      << "the slow consumer was never cut off";
  // The slow client finds some messages, then the 4008 close frame, then EOF.
  std::optional<Frame> frame;
  int delivered = 0;
  while ((frame = slow.read_frame()) && frame->opcode == 0x1) ++delivered;
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(frame->close_code(), 4008);
  EXPECT_LT(delivered, published);
}

TEST(Server, HandshakeTimeoutClosesSilentConnections) {
  config::Config c = two_workers();
  c.handshake_timeout = std::chrono::milliseconds(200);
  RunningServer server(c);
  TestClient silent(server.port(), 3000);
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.wait_eof());
  EXPECT_NE(server.metrics().find("switchboard_handshakes_total{result=\"timeout\"} 1\n"),
            std::string::npos);
}

TEST(Server, SilentWebSocketIsPingedThenClosedForIdleness) {
  config::Config c = two_workers();
  c.ping_interval = std::chrono::milliseconds(100);
  c.idle_timeout = std::chrono::milliseconds(400);
  RunningServer server(c);
  TestClient client(server.port(), 3000);
  ASSERT_EQ(client.upgrade("/echo"), 101);
  auto ping = client.read_frame();
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->opcode, 0x9);
  // Pings until the close. Bounded: at one ping per 100 ms, the 400 ms idle timeout allows
  // about 4; 100 means the server never closes (each read alone would succeed forever).
  std::optional<Frame> frame;
  int pings = 1;
  while ((frame = client.read_frame()) && frame->opcode == 0x9) {
    ASSERT_LT(++pings, 100) << "pinged on and on: the idle timeout never closed the connection";
  }
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(frame->close_code(), 4009);
}

TEST(Server, DrainRefusesUpgradesWith503AndRetryAfterClosesEveryConnectionWith1012AndStops) {
  config::Config c = two_workers();
  // The listener and unfinished HTTP connections stay until the drain period is over and every
  // WebSocket is closed: the requests below are answered within microseconds of drain(), so
  // 2 s leaves a margin of orders of magnitude even under ThreadSanitizer on a busy machine.
  c.drain_period = std::chrono::milliseconds(2000);
  RunningServer server(c);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<TestClient>(server.port()));
    ASSERT_EQ(clients.back()->upgrade("/echo"), 101);
  }
  // Connected before the drain, requesting during it: never refused at TCP level, so the
  // answer is always the server's, never a skipped check.
  TestClient late(server.port(), 3000);
  TestClient probe(server.port(), 3000);
  ASSERT_TRUE(late.connected() && probe.connected());
  server->drain();

  std::string head;
  EXPECT_EQ(late.upgrade("/echo", &head), 503);
  EXPECT_NE(head.find("\r\nRetry-After: "), std::string::npos) << head;
  probe.send_raw("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string body;
  EXPECT_EQ(probe.read_http_response(&body), 503);
  EXPECT_EQ(body, R"({"status":"draining"})");

  for (auto& client : clients) {
    auto frame = client->read_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->opcode, 0x8);
    EXPECT_EQ(frame->close_code(), 1012);
    client->send_close(1012);
  }
  server->wait();  // returns once every worker has stopped by itself
  EXPECT_NE(server.metrics().find("switchboard_handshakes_total{result=\"unavailable\"} 1\n"),
            std::string::npos);
}

TEST(Server, ReadyIs503AndHealthNamesTheDependencyWhileOneIsDown) {
  // The dependency's state is flipped by the test; the routes read it on every request.
  auto redis_up = std::make_shared<std::atomic<bool>>(false);
  OpsHooks hooks;
  hooks.dependencies = [redis_up] {
    return std::vector<Dependency>{{"redis 127.0.0.1:6379", redis_up->load(),
                                    redis_up->load() ? "" : "Connection refused"}};
  };
  RunningServer server(two_workers(), {}, hooks);
  auto get = [&](const char* path, std::string& body) {
    TestClient client(server.port(), 3000);
    client.send_raw(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    return client.read_http_response(&body);
  };
  std::string body;
  EXPECT_EQ(get("/ready", body), 503);
  EXPECT_EQ(body, R"({"status":"unavailable","dependencies":[{"name":"redis 127.0.0.1:6379","status":"down","error":"Connection refused"}]})");
  EXPECT_EQ(get("/health", body), 200) << "alive: restarting the node would not bring Redis back";
  EXPECT_NE(body.find(R"("status":"degraded")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("name":"redis 127.0.0.1:6379","status":"down","error":"Connection refused")"),
            std::string::npos)
      << body;
  redis_up->store(true);
  EXPECT_EQ(get("/ready", body), 200);
  EXPECT_EQ(body, R"({"status":"ready","dependencies":[{"name":"redis 127.0.0.1:6379","status":"up"}]})");
  EXPECT_EQ(get("/health", body), 200);
  EXPECT_NE(body.find(R"("status":"ok")"), std::string::npos) << body;
}

}  // namespace
}  // namespace switchboard::net
