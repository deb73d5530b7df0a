// TLS termination in process: a Server with a self-signed certificate (made by the openssl
// command for each test run), driven by blocking TLS clients. Runs under ThreadSanitizer in
// CI (label "threads").
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "paused_reader.hpp"
#include "running_server.hpp"
#include "switchboard/net/tls.hpp"
#include "test_client.hpp"

namespace switchboard::net {
namespace {

using testing::RunningServer;
using testing::TestClient;

// A private directory with cert.pem/key.pem (P-256, CN=localhost) and other-key.pem.
class Certificates {
 public:
  Certificates() {
    char pattern[] = "/tmp/switchboard-tls-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    const std::string make_cert =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -keyout " + key() + " -out " + cert() + " 2>/dev/null";
    const std::string make_other =
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out " +
        other_key() + " 2>/dev/null";
    if (std::system(make_cert.c_str()) != 0 || std::system(make_other.c_str()) != 0) {
      throw std::runtime_error("the openssl command could not make a test certificate");
    }
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }
  std::string other_key() const { return dir_ + "/other-key.pem"; }

 private:
  std::string dir_;
};

const Certificates& certificates() {
  static const Certificates c;
  return c;
}

config::Config tls_config() {
  config::Config c;
  c.workers = 2;
  c.tls_cert_file = certificates().cert();
  c.tls_key_file = certificates().key();
  c.max_message_size = 256 * 1024;
  return c;
}

TEST(Tls, EchoesSmallAndMultiRecordMessagesAndServesHttps) {
  RunningServer server(tls_config());
  TestClient client(server.port());
  ASSERT_TRUE(client.start_tls());
  ASSERT_EQ(client.upgrade("/echo"), 101);
  client.send_text("hello");
  const std::string big(100000, 'b');  // several TLS records each way
  client.send_frame(0x2, big);
  auto text = client.read_frame();
  auto binary = client.read_frame();
  ASSERT_TRUE(text && binary);
  EXPECT_EQ(text->payload, "hello");
  EXPECT_EQ(binary->payload, big);

  TestClient https(server.port());
  ASSERT_TRUE(https.start_tls());
  https.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string body;
  EXPECT_EQ(https.read_http_response(&body), 200);
  EXPECT_NE(body.find("\"status\":\"ok\""), std::string::npos) << body;
}

TEST(Tls, ReaderThatPausesGetsEverythingInOrderOnceItReadsAgain) {
  // The server's TLS writes block part-way through a record and must resume with the same
  // bytes.
  config::Config c = tls_config();
  c.outbound_queue_limit = 32 * 1024 * 1024;
  c.outbound_queue_hard_limit = 32 * 1024 * 1024;
  RunningServer server(c);
  testing::expect_paused_reader_gets_everything(server, true);
}

TEST(Tls, PlainTextClientIsDroppedAndOthersAreServed) {
  RunningServer server(tls_config());
  TestClient plain(server.port());
  plain.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(plain.wait_eof());  // not an HTTP answer: a TLS port speaks only TLS
  TestClient client(server.port());
  ASSERT_TRUE(client.start_tls());
  EXPECT_EQ(client.upgrade("/echo"), 101);
}

TEST(Tls, ClosingHandshakeEndsWithCloseNotify) {
  RunningServer server(tls_config());
  TestClient client(server.port());
  ASSERT_TRUE(client.start_tls());
  ASSERT_EQ(client.upgrade("/echo"), 101);
  client.send_close(1000);
  auto close = client.read_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_TRUE(client.wait_clean_tls_eof());
}

TEST(Tls, StalledHandshakeIsClosedAtTheHandshakeTimeout) {
  config::Config c = tls_config();
  c.handshake_timeout = std::chrono::milliseconds(200);
  RunningServer server(c);
  TestClient stalled(server.port(), 3000);
  // The first bytes of a ClientHello record, then nothing.
  stalled.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10));
  EXPECT_TRUE(stalled.wait_eof());
  EXPECT_NE(server.metrics().find("switchboard_handshakes_total{result=\"timeout\"} 1\n"),
            std::string::npos);
  // Meanwhile and afterwards, others are served.
  TestClient client(server.port());
  ASSERT_TRUE(client.start_tls());
  EXPECT_EQ(client.upgrade("/echo"), 101);
}

TEST(Tls, GarbageRecordsAfterTheHandshakeCloseOnlyThatConnection) {
  RunningServer server(tls_config());
  TestClient good(server.port());
  ASSERT_TRUE(good.start_tls());
  ASSERT_EQ(good.upgrade("/echo"), 101);
  TestClient bad(server.port());
  ASSERT_TRUE(bad.start_tls());
  ASSERT_EQ(bad.upgrade("/echo"), 101);
  // An application-data record whose authentication tag cannot verify, below TLS.
  bad.send_raw_below_tls(std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, '\x5a'));
  EXPECT_TRUE(bad.wait_eof());
  good.send_text("still here");
  auto echo = good.read_frame();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->payload, "still here");
}

TEST(TlsContext, UnusableFilesAreRefusedNamingTheFile) {
  const auto& c = certificates();
  EXPECT_NO_THROW(TlsContext(c.cert(), c.key()));
  try {
    TlsContext(c.cert() + ".missing", c.key());
    FAIL() << "a missing certificate file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(".missing"), std::string::npos) << e.what();
  }
  try {
    TlsContext(c.cert(), c.other_key());
    FAIL() << "a key that does not match the certificate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("other-key.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace switchboard::net
