// Interoperability: Boost.Beast's websocket::stream (an independent RFC 6455 / RFC 7692 client)
// against the real switchboard binary in --echo mode, with and without permessage-deflate on
// either side. The server path comes from argv[1] or $SWITCHBOARD_BIN.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <thread>

#include "server_process.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using switchboard::test::ServerProcess;

constexpr std::size_t kMaxMessage = 65536;  // the servers run with --max-message-size 64KiB
constexpr auto kClientDeadline = std::chrono::seconds(15);

std::string g_server_binary;  // NOLINT: set once in main before any test runs

// Beast's synchronous calls have no timeout; a server that stops answering would hang the test.
// The watchdog shuts the socket down after a deadline, which fails the blocked call (and the test)
// instead. ::shutdown on the fd is safe from another thread, unlike closing the Asio socket.
class Watchdog {
 public:
  Watchdog(int fd, std::chrono::seconds deadline)
      : thread_([this, fd, deadline] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, deadline, [this] { return done_; })) {
            fired_ = true;
            ::shutdown(fd, SHUT_RDWR);
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the members it reads are constructed
};

// One connected, upgraded client on /echo.
class EchoClient {
 public:
  EchoClient(std::uint16_t port, bool offer_deflate) : ws_(ioc_) {
    ws_.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    watchdog_ = std::make_unique<Watchdog>(ws_.next_layer().native_handle(), kClientDeadline);
    websocket::permessage_deflate pmd;
    pmd.client_enable = offer_deflate;
    ws_.set_option(pmd);
    ws_.handshake(response_, "127.0.0.1:" + std::to_string(port), "/echo");
  }

  websocket::stream<tcp::socket>& ws() { return ws_; }
  const websocket::response_type& response() const { return response_; }
  bool timed_out() { return watchdog_->fired(); }

  void send(const std::string& payload, bool text) {
    ws_.text(text);
    ws_.write(net::buffer(payload));
  }

  std::string receive() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  websocket::response_type response_;
  std::unique_ptr<Watchdog> watchdog_;
};

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(byte(gen));
  return out;
}

// Compressible but not trivially uniform text, so deflate has real work on both sides.
std::string compressible_text(std::size_t size) {
  std::string out;
  for (int i = 0; out.size() < size; ++i) out += "line " + std::to_string(i) + " of the echo\n";
  out.resize(size);
  return out;
}

struct Mode {
  bool server_deflate;
  bool client_deflate;
};

// Readable parameters in gtest's output instead of a byte dump.
void PrintTo(const Mode& mode, std::ostream* os) {
  *os << "server_deflate=" << mode.server_deflate << " client_deflate=" << mode.client_deflate;
}

std::string mode_name(const testing::TestParamInfo<Mode>& info) {
  return std::string(info.param.server_deflate ? "ServerDeflate" : "ServerPlain") +
         (info.param.client_deflate ? "_ClientOffers" : "_ClientPlain");
}

class BeastEcho : public testing::TestWithParam<Mode> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(g_server_binary.empty()) << "pass the server path as argv[1] or SWITCHBOARD_BIN";
    const std::vector<std::string> common{"--echo", "--workers", "2", "--max-message-size",
                                          "64KiB"};
    plain_ = std::make_unique<ServerProcess>(ServerProcess::start(g_server_binary, common));
    auto with_deflate = common;
    with_deflate.push_back("--deflate");
    deflate_ = std::make_unique<ServerProcess>(ServerProcess::start(g_server_binary, with_deflate));
  }
  static void TearDownTestSuite() {
    plain_.reset();
    deflate_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(plain_ && deflate_) << "servers failed to start";
    client_ = std::make_unique<EchoClient>(port(), GetParam().client_deflate);
  }
  void TearDown() override {
    if (client_) {
      EXPECT_FALSE(client_->timed_out()) << "the server stopped answering";
    }
  }

  static std::uint16_t port() {
    return BeastEcho::GetParam().server_deflate ? deflate_->port() : plain_->port();
  }
  bool deflate_expected() const { return GetParam().server_deflate && GetParam().client_deflate; }
  EchoClient& client() { return *client_; }

  // Sends one message and expects exactly it back, with the same type.
  void expect_echo(const std::string& payload, bool text) {
    client().send(payload, text);
    std::string echoed = client().receive();
    EXPECT_EQ(client().ws().got_text(), text);
    ASSERT_EQ(echoed.size(), payload.size());
    EXPECT_TRUE(echoed == payload) << "payload differs";
  }

  // Reads until the server's close arrives; returns the close code it sent.
  websocket::close_code expect_server_close() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    client().ws().read(buffer, ec);
    EXPECT_EQ(ec, websocket::error::closed) << ec.message();
    return static_cast<websocket::close_code>(client().ws().reason().code);
  }

  static inline std::unique_ptr<ServerProcess> plain_;
  static inline std::unique_ptr<ServerProcess> deflate_;
  std::unique_ptr<EchoClient> client_;
};

TEST_P(BeastEcho, NegotiatesDeflateOnlyWhenBothSidesWantIt) {
  EXPECT_EQ(client().response().result(), http::status::switching_protocols);
  auto extensions = std::string(client().response()[http::field::sec_websocket_extensions]);
  if (deflate_expected()) {
    EXPECT_NE(extensions.find("permessage-deflate"), std::string::npos) << extensions;
    EXPECT_NE(extensions.find("server_no_context_takeover"), std::string::npos) << extensions;
  } else {
    EXPECT_EQ(extensions.find("permessage-deflate"), std::string::npos) << extensions;
  }
}

TEST_P(BeastEcho, EchoesShortText) {
  expect_echo("hello, switchboard \xE2\x9C\x93", true);
}

TEST_P(BeastEcho, EchoesLargeCompressibleText) {
  expect_echo(compressible_text(20000), true);
}

TEST_P(BeastEcho, EchoesBinaryWithEveryByteValue) {
  expect_echo(random_bytes(4096, 1), false);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  expect_echo(all, false);
}

TEST_P(BeastEcho, EchoesEmptyMessages) {
  expect_echo("", true);
  expect_echo("", false);
}

TEST_P(BeastEcho, ReassemblesAFragmentedMessage) {
  const std::string parts[] = {compressible_text(100), "middle \xC3\xA9", compressible_text(3000)};
  client().ws().text(true);
  client().ws().write_some(false, net::buffer(parts[0]));
  client().ws().write_some(false, net::buffer(parts[1]));
  client().ws().write_some(true, net::buffer(parts[2]));
  EXPECT_EQ(client().receive(), parts[0] + parts[1] + parts[2]);
  EXPECT_TRUE(client().ws().got_text());
}

TEST_P(BeastEcho, FragmentSplittingAUtf8SequenceIsStillValid) {
  // U+20AC (E2 82 AC) split across frames: valid once reassembled (RFC 6455 section 8.1).
  client().ws().text(true);
  client().ws().write_some(false, net::buffer(std::string("euro \xE2\x82")));
  client().ws().write_some(true, net::buffer(std::string("\xAC!")));
  EXPECT_EQ(client().receive(), "euro \xE2\x82\xAC!");
}

TEST_P(BeastEcho, AnswersPingWithPongCarryingItsPayload) {
  std::string pong_payload;
  int pongs = 0;
  client().ws().control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) {
      ++pongs;
      pong_payload = std::string(payload);
    }
  });
  client().ws().ping(websocket::ping_data("are you there"));
  expect_echo("after ping", true);  // the pong precedes the echo on the wire
  EXPECT_EQ(pongs, 1);
  EXPECT_EQ(pong_payload, "are you there");
}

TEST_P(BeastEcho, EchoesAMessageOfExactlyTheMaximumSize) {
  expect_echo(random_bytes(kMaxMessage, 2), false);
  expect_echo(compressible_text(kMaxMessage), true);
}

TEST_P(BeastEcho, ClosesWith1009WhenAMessageExceedsTheMaximum) {
  // Highly compressible: with deflate the wire size is tiny, so the limit must apply to the
  // inflated size.
  client().send(std::string(kMaxMessage + 1, 'a'), true);
  EXPECT_EQ(expect_server_close(), websocket::close_code::too_big);
}

TEST_P(BeastEcho, ClosesWith1009WhenFragmentsTogetherExceedTheMaximum) {
  std::string half(kMaxMessage / 2, 'b');
  client().ws().binary(true);
  client().ws().write_some(false, net::buffer(half));
  client().ws().write_some(false, net::buffer(half));
  client().ws().write_some(true, net::buffer(std::string("x")));
  EXPECT_EQ(expect_server_close(), websocket::close_code::too_big);
}

TEST_P(BeastEcho, EchoesManyMessagesInOrder) {
  constexpr int kCount = 1000;
  // Pipelined: all sent before any is read, so the server queues replies while reading.
  for (int i = 0; i < kCount; ++i) {
    client().send("message " + std::to_string(i) + std::string(i % 200, '.'), i % 3 != 0);
  }
  for (int i = 0; i < kCount; ++i) {
    std::string expected = "message " + std::to_string(i) + std::string(i % 200, '.');
    ASSERT_EQ(client().receive(), expected) << "at message " << i;
    ASSERT_EQ(client().ws().got_text(), i % 3 != 0) << "at message " << i;
  }
}

TEST_P(BeastEcho, CloseHandshakeEchoes1000AndServerClosesTcp) {
  expect_echo("before close", true);
  beast::error_code ec;
  // Beast's client close sends 1000, reads until the server's close frame, then reads until
  // EOF: success means the server answered the close and closed TCP first (RFC 6455 7.1.1).
  client().ws().close(websocket::close_reason(websocket::close_code::normal), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(client().ws().reason().code, websocket::close_code::normal);
  EXPECT_FALSE(client().ws().next_layer().is_open());
}

TEST_P(BeastEcho, ServerStaysUsableAfterAClientWasClosedFor1009) {
  client().send(std::string(kMaxMessage + 1, 'z'), false);
  EXPECT_EQ(expect_server_close(), websocket::close_code::too_big);
  EchoClient next(port(), GetParam().client_deflate);
  next.send("still here", true);
  EXPECT_EQ(next.receive(), "still here");
}

INSTANTIATE_TEST_SUITE_P(Modes, BeastEcho,
                         testing::Values(Mode{false, false}, Mode{false, true}, Mode{true, false},
                                         Mode{true, true}),
                         mode_name);

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);  // removes gtest's own flags, leaving ours
  g_server_binary = switchboard::test::server_binary(argc, argv);
  return RUN_ALL_TESTS();
}
