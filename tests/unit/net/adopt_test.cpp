// Server::adopt: connections a host application's own HTTP server accepted and read the
// upgrade request of. The "host" here is a plain listening socket of the test's: its client is
// a real TCP client, its accepted socket goes to the server with a request parsed from it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <any>
#include <memory>
#include <stdexcept>
#include <string>

#include "running_server.hpp"
#include "switchboard/net/echo_endpoint.hpp"
#include "switchboard/net/connection.hpp"
#include "switchboard/net/endpoint.hpp"
#include "switchboard/net/worker.hpp"
#include "test_client.hpp"
#include "wait_until.hpp"

namespace switchboard::net {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::two_workers;
using testing::wait_until;

// An upgrade request as the host's parser would hand it over.
http::Request upgrade_request(std::string target) {
  http::Request r;
  r.method = "GET";
  r.target = std::move(target);
  r.headers = {{"Host", "localhost"},
               {"Upgrade", "websocket"},
               {"Connection", "Upgrade"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Version", "13"}};
  return r;
}

// The host's listening socket on a free loopback port.
class HostListener {
 public:
  HostListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HostListener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  // The next client's socket with the upgrade request the host read from it, to hand over.
  Handover accept_upgrade(std::string target) {
    Handover handover;
    handover.fd = ::accept(fd_, nullptr, nullptr);
    handover.request = upgrade_request(std::move(target));
    return handover;
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

std::string masked_text_frame(std::string_view text) {
  std::string frame{static_cast<char>(0x81), static_cast<char>(0x80 | text.size())};
  frame.append(4, '\0');  // a zero mask: the payload goes as is
  frame.append(text);
  return frame;
}

// Says, on open, what came with the connection it opens (the handover's context).
class ContextEndpoint final : public Endpoint {
 public:
  void on_open(Connection& connection) override {
    const std::any* context = connection.worker().upgrade_context();
    const auto* text = context != nullptr ? std::any_cast<std::string>(context) : nullptr;
    connection.send_text(text != nullptr ? *text : "none");
  }
  void on_message(Connection&, ws::Opcode, std::string_view) override {}
};

TEST(Adopt, AnAdoptedUpgradeIsAnsweredAndServedLikeAnAcceptedOne) {
  RunningServer server(two_workers());
  HostListener host;
  TestClient client(host.port());
  ASSERT_TRUE(client.connected());
  Handover handover = host.accept_upgrade("/echo");
  // The client's first frame, read by the host along with the request.
  handover.leftover = masked_text_frame("early");
  server->adopt(std::move(handover));

  ASSERT_EQ(client.read_upgrade_response(), 101) << "no answer to the adopted upgrade";
  auto early = client.read_frame();
  ASSERT_TRUE(early);
  EXPECT_EQ(early->payload, "early");
  client.send_text("later");
  auto later = client.read_frame();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->payload, "later");
  EXPECT_EQ(server->ws_connections(), 1u);
  EXPECT_NE(server.metrics().find("switchboard_adopted_total 1\n"), std::string::npos);
}

TEST(Adopt, TheHandoversContextReachesTheEndpointOfThatConnectionOnly) {
  RunningServer server(two_workers(), [](Server& s) {
    s.add_endpoint("/context", [](Worker&) { return std::make_unique<ContextEndpoint>(); });
  });
  HostListener host;
  TestClient adopted(host.port());
  Handover handover = host.accept_upgrade("/context");
  handover.context = std::string("alice, as the host found her");
  server->adopt(std::move(handover));
  ASSERT_EQ(adopted.read_upgrade_response(), 101);
  auto said = adopted.read_frame();
  ASSERT_TRUE(said);
  EXPECT_EQ(said->payload, "alice, as the host found her");
  // The server's own connection on the same endpoint has none.
  TestClient own(server.port());
  ASSERT_EQ(own.upgrade("/context"), 101);
  auto none = own.read_frame();
  ASSERT_TRUE(none);
  EXPECT_EQ(none->payload, "none");
}

TEST(Adopt, ABadUpgradeGetsTheServersOwnRefusal) {
  RunningServer server(two_workers());
  HostListener host;
  TestClient client(host.port());
  Handover handover = host.accept_upgrade("/echo");
  handover.request.headers.pop_back();  // no Sec-WebSocket-Version
  server->adopt(std::move(handover));
  std::string body;
  EXPECT_EQ(client.read_http_response(&body), 426);
  EXPECT_TRUE(wait_until([&] { return client.closed_by_server(); }));
}

TEST(Adopt, BeforeStartItThrowsAndTheSocketIsClosed) {
  Server server(two_workers());
  HostListener host;
  TestClient client(host.port());
  Handover handover = host.accept_upgrade("/echo");
  EXPECT_THROW(server.adopt(std::move(handover)), std::logic_error);
  EXPECT_TRUE(wait_until([&] { return client.closed_by_server(); }));
  Handover none;
  EXPECT_THROW(server.adopt(std::move(none)), std::invalid_argument);
}

TEST(Adopt, AfterTheServerStoppedTheSocketIsClosedUnanswered) {
  HostListener host;
  TestClient client(host.port());
  {
    RunningServer server(two_workers());
    server->stop();
    server->wait();
    Handover handover = host.accept_upgrade("/echo");
    server->adopt(std::move(handover));  // posted to a worker that no longer runs
  }
  EXPECT_TRUE(wait_until([&] { return client.closed_by_server(); }));
}

TEST(Adopt, WithoutListeningTheServerOpensNoPortAndStillServesAdoptedConnections) {
  config::Config c = two_workers();
  c.drain_period = std::chrono::milliseconds(0);
  c.listen = false;
  c.bind_address = "127.0.0.1";
  c.port = testing::free_port();
  Server server(c);
  server.add_endpoint("/echo", make_echo_endpoint());
  server.start();
  TestClient direct(c.port);
  EXPECT_FALSE(direct.connected()) << "nothing listens on the configured port";
  HostListener host;
  TestClient client(host.port());
  Handover handover = host.accept_upgrade("/echo");
  server.adopt(std::move(handover));
  ASSERT_EQ(client.read_upgrade_response(), 101);
  server.drain();  // closes with 1012, then the workers end
  auto close = client.read_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1012);
  client.send_close(1012);
  server.wait();
}

}  // namespace
}  // namespace switchboard::net
