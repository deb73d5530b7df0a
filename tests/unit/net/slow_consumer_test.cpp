// The slow-consumer policy: a reader is cut (4008) when it does not drain — more than
// outbound_queue_limit still queued after the server's writes for outbound_queue_grace, or a
// queue past outbound_queue_hard_limit — never for a burst it reads as fast as it comes, nor
// for one message larger than the limit sent to it alone.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "running_server.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/endpoint.hpp"
#include "test_client.hpp"
#include "wait_until.hpp"

namespace switchboard::net {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::two_workers;
using testing::wait_until;

// "<count> <size>" from a client: that many messages of that size to it, all in this loop turn
// (as a fan-out of several publications queues them, before any write is tried).
class BurstEndpoint final : public Endpoint {
 public:
  void on_message(Connection& connection, ws::Opcode, std::string_view text) override {
    const std::string request(text);
    char* end = nullptr;
    const long count = std::strtol(request.c_str(), &end, 10);
    const long size = std::strtol(end, nullptr, 10);
    const std::string payload(static_cast<std::size_t>(size), 'x');
    for (long i = 0; i < count; ++i) {
      if (!connection.send_text(payload)) return;
    }
  }
};

RunningServer burst_server(config::Config c) {
  return RunningServer(c, [](Server& s) {
    s.add_endpoint("/burst", [](Worker&) { return std::make_unique<BurstEndpoint>(); });
  });
}

const char* const kCutOff = "switchboard_slow_consumer_closes_total 1\n";

TEST(SlowConsumer, ABurstOverTheLimitToAReaderThatKeepsUpIsDelivered) {
  config::Config c = two_workers();  // outbound_queue_limit 1 MiB, the default
  RunningServer server = burst_server(c);
  TestClient reader(server.port());
  ASSERT_EQ(reader.upgrade("/burst"), 101);
  // Three 600 KB messages queued in one turn: 1.8 MB, over the 1 MiB limit before any write.
  reader.send_text("3 600000");
  for (int i = 0; i < 3; ++i) {
    auto frame = reader.read_frame();
    ASSERT_TRUE(frame) << "message " << i;
    EXPECT_EQ(frame->opcode, 0x1) << "message " << i << " (close code " << frame->close_code() << ")";
    EXPECT_EQ(frame->payload.size(), 600000u);
  }
  EXPECT_EQ(server.metrics().find(kCutOff), std::string::npos);
}

TEST(SlowConsumer, OneMessageLargerThanEveryLimitGoesToAConnectionWithNothingQueued) {
  config::Config c = two_workers();
  c.outbound_queue_limit = 16 * 1024;
  c.outbound_queue_hard_limit = 64 * 1024;
  c.max_message_size = 64 * 1024;
  RunningServer server = burst_server(c);
  TestClient reader(server.port());
  ASSERT_EQ(reader.upgrade("/burst"), 101);
  reader.send_text("1 300000");
  auto frame = reader.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x1);
  EXPECT_EQ(frame->payload.size(), 300000u);
  EXPECT_EQ(server.metrics().find(kCutOff), std::string::npos);
}

TEST(SlowConsumer, AReaderThatStopsIsCutAfterTheGraceOverTheSoftLimit) {
  config::Config c = two_workers();
  c.outbound_queue_limit = 64 * 1024;
  c.outbound_queue_grace = std::chrono::milliseconds(300);
  c.outbound_queue_hard_limit = 64 * 1024 * 1024;  // out of reach: the soft limit decides
  RunningServer server = burst_server(c);
  TestClient stopped(server.port(), 5000, 4096);  // reads nothing until it is cut
  ASSERT_EQ(stopped.upgrade("/burst"), 101);
  // 8 MB: beyond what loopback socket buffers absorb (tcp_wmem reaches 4 MiB).
  const auto sent = std::chrono::steady_clock::now();
  stopped.send_text("250 32000");
  ASSERT_TRUE(wait_until([&] { return server.metrics().find(kCutOff) != std::string::npos; }))
      << "a reader that does not drain was never cut";
  // Documented bound: the grace plus one sweep (at most a second here); generous for TSan.
  EXPECT_GE(std::chrono::steady_clock::now() - sent, c.outbound_queue_grace);
  std::optional<testing::Frame> frame;
  int delivered = 0;
  while ((frame = stopped.read_frame()) && frame->opcode == 0x1) ++delivered;
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(frame->close_code(), 4008);
  EXPECT_LT(delivered, 250);
}

TEST(SlowConsumer, ARunawayQueueIsCutAtTheHardLimitWithoutWaitingForTheGrace) {
  config::Config c = two_workers();
  c.outbound_queue_limit = 64 * 1024;
  c.outbound_queue_grace = std::chrono::minutes(5);  // the soft limit would wait this long
  c.outbound_queue_hard_limit = 1024 * 1024;
  RunningServer server = burst_server(c);
  TestClient stopped(server.port(), 5000, 4096);
  ASSERT_EQ(stopped.upgrade("/burst"), 101);
  stopped.send_text("250 32000");
  ASSERT_TRUE(wait_until([&] { return server.metrics().find(kCutOff) != std::string::npos; },
                         std::chrono::milliseconds(5000)))
      << "the queue passed the hard limit and the reader was not cut";
  std::optional<testing::Frame> frame;
  while ((frame = stopped.read_frame()) && frame->opcode == 0x1) {
  }
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->close_code(), 4008);
}

}  // namespace
}  // namespace switchboard::net
