#pragma once
// The back-pressure scenario, plain or over TLS: a /broadcast reader with a small receive
// window stops reading while 12 MB are published — more than loopback socket buffers hold
// (tcp_wmem reaches 4 MiB), less than the queue bound — so the server's writes block and must
// resume on writability; once it reads again it gets every message, in order, and nobody is
// cut off as a slow consumer. The server needs outbound_queue_limit above 12 MB and
// max_message_size of at least 16 kB.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "running_server.hpp"
#include "test_client.hpp"
#include "wait_until.hpp"

namespace switchboard::net::testing {

inline void expect_paused_reader_gets_everything(RunningServer& server, bool tls) {
  TestClient paused(server.port(), 5000, 4096);
  ASSERT_TRUE(!tls || paused.start_tls());
  ASSERT_EQ(paused.upgrade("/broadcast"), 101);
  TestClient publisher(server.port());
  ASSERT_TRUE(!tls || publisher.start_tls());
  ASSERT_EQ(publisher.upgrade("/broadcast"), 101);
  ASSERT_TRUE(wait_until([&] { return server->ws_connections() >= 2; }))
      << "the server counted " << server->ws_connections() << " of 2 upgraded connections";

  constexpr int kMessages = 750;
  std::string payload(16000, 'x');
  for (int i = 0; i < kMessages; ++i) {
    std::snprintf(payload.data(), 16, "%015d", i);
    publisher.send_text(payload);
    ASSERT_TRUE(publisher.read_frame()) << i;
  }
  for (int i = 0; i < kMessages; ++i) {
    auto frame = paused.read_frame();
    ASSERT_TRUE(frame) << "message " << i << " never came";
    ASSERT_EQ(frame->opcode, 0x1);
    ASSERT_EQ(frame->payload.size(), payload.size());
    EXPECT_EQ(std::atoi(frame->payload.substr(0, 15).c_str()), i);
  }
  EXPECT_EQ(server.metrics().find("switchboard_slow_consumer_closes_total 1"), std::string::npos);
}

}  // namespace switchboard::net::testing
