#include "switchboard/ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::ws {
namespace {

UpgradeRequest valid_request() {
  UpgradeRequest r;
  r.method = "GET";
  r.version = 11;
  r.target = "/ws";
  r.host = "localhost";
  r.upgrade = "websocket";
  r.connection = "Upgrade";
  r.key = "dGhlIHNhbXBsZSBub25jZQ==";
  r.ws_version = "13";
  return r;
}

TEST(Handshake, AcceptKeyFromRfc6455Example) {
  EXPECT_EQ(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptsAValidRequest) {
  HandshakeResult r = evaluate_upgrade(valid_request(), HandshakePolicy{});
  ASSERT_TRUE(r.accept);
  EXPECT_EQ(r.accept->accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(r.accept->subprotocol.empty());
  EXPECT_FALSE(r.accept->deflate);
}

TEST(Handshake, TokenListsAreCaseInsensitive) {
  UpgradeRequest r = valid_request();
  r.connection = "keep-alive, Upgrade";
  r.upgrade = "WebSocket";
  EXPECT_TRUE(evaluate_upgrade(r, {}).accept);
  r.connection = "keep-alive,upgrade ";
  EXPECT_TRUE(evaluate_upgrade(r, {}).accept);
  r.connection = "keep-alive";
  EXPECT_EQ(evaluate_upgrade(r, {}).error.status, 400u);
  r.connection = "upgraded";
  EXPECT_EQ(evaluate_upgrade(r, {}).error.status, 400u);
}

TEST(Handshake, RefusalStatuses) {
  struct Case {
    const char* name;
    void (*mutate)(UpgradeRequest&);
    unsigned status;
  };
  const Case cases[] = {
      {"POST", [](UpgradeRequest& r) { r.method = "POST"; }, 405},
      {"HTTP/1.0", [](UpgradeRequest& r) { r.version = 10; }, 400},
      {"no upgrade", [](UpgradeRequest& r) { r.upgrade = ""; }, 400},
      {"other upgrade", [](UpgradeRequest& r) { r.upgrade = "h2c"; }, 400},
      {"no connection", [](UpgradeRequest& r) { r.connection = ""; }, 400},
      {"no key", [](UpgradeRequest& r) { r.key = ""; }, 400},
      {"short key", [](UpgradeRequest& r) { r.key = "AAAA"; }, 400},
      {"15-byte key", [](UpgradeRequest& r) { r.key = "AAAAAAAAAAAAAAAAAAAA"; }, 400},
      {"17-byte key", [](UpgradeRequest& r) { r.key = "AAAAAAAAAAAAAAAAAAAAAAA="; }, 400},
      {"bad chars", [](UpgradeRequest& r) { r.key = "dGhlIHNhbXBsZSBub25j*Q=="; }, 400},
      {"version 8", [](UpgradeRequest& r) { r.ws_version = "8"; }, 426},
      {"no version", [](UpgradeRequest& r) { r.ws_version = ""; }, 426},
  };
  for (const Case& c : cases) {
    UpgradeRequest r = valid_request();
    c.mutate(r);
    HandshakeResult result = evaluate_upgrade(r, {});
    EXPECT_FALSE(result.accept) << c.name;
    EXPECT_EQ(result.error.status, c.status) << c.name;
    EXPECT_FALSE(result.error.reason.empty()) << c.name;
  }
}

TEST(Handshake, OriginAllowList) {
  HandshakePolicy policy;
  policy.allowed_origins = {"https://app.example.com"};
  UpgradeRequest r = valid_request();
  EXPECT_TRUE(evaluate_upgrade(r, policy).accept);  // no Origin: not a browser
  r.has_origin = true;
  r.origin = "https://APP.example.com";
  EXPECT_TRUE(evaluate_upgrade(r, policy).accept);
  r.origin = "https://evil.example.com";
  EXPECT_EQ(evaluate_upgrade(r, policy).error.status, 403u);
  policy.allowed_origins.push_back("*");
  EXPECT_TRUE(evaluate_upgrade(r, policy).accept);
  EXPECT_TRUE(evaluate_upgrade(r, HandshakePolicy{}).accept);  // empty list: all allowed
}

TEST(Handshake, SubprotocolByServerPreference) {
  HandshakePolicy policy;
  policy.subprotocols = {"v2.switchboard", "v1.switchboard"};
  UpgradeRequest r = valid_request();
  r.protocols = "v1.switchboard, v2.switchboard";
  EXPECT_EQ(evaluate_upgrade(r, policy).accept->subprotocol, "v2.switchboard");
  r.protocols = "chat,v1.switchboard";
  EXPECT_EQ(evaluate_upgrade(r, policy).accept->subprotocol, "v1.switchboard");
  r.protocols = "chat, superchat";
  HandshakeResult none = evaluate_upgrade(r, policy);
  ASSERT_TRUE(none.accept);  // unknown offers: accepted without a subprotocol
  EXPECT_TRUE(none.accept->subprotocol.empty());
  EXPECT_EQ(render_handshake_response(*none.accept).find("Sec-WebSocket-Protocol"),
            std::string::npos);
}

TEST(Handshake, ResponseCarriesNegotiatedHeaders) {
  HandshakePolicy policy;
  policy.subprotocols = {"chat"};
  policy.deflate.enabled = true;
  UpgradeRequest r = valid_request();
  r.protocols = "chat";
  r.extensions = "permessage-deflate; client_max_window_bits";
  HandshakeResult result = evaluate_upgrade(r, policy);
  ASSERT_TRUE(result.accept);
  ASSERT_TRUE(result.accept->deflate);
  const std::string response = render_handshake_response(*result.accept);
  EXPECT_EQ(response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(response.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nConnection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(response.find("\r\nSec-WebSocket-Protocol: chat\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nSec-WebSocket-Extensions: permessage-deflate; "
                          "server_no_context_takeover; client_no_context_takeover\r\n"),
            std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");
}

TEST(Handshake, ErrorResponseIsJsonAndCloses) {
  const std::string r = render_handshake_error({403, "origin \"x\" not allowed"});
  EXPECT_EQ(r.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  const std::string body = r.substr(r.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "{\"error\":\"origin \\\"x\\\" not allowed\"}");
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(r.find("Sec-WebSocket-Version"), std::string::npos);
}

TEST(Handshake, UpgradeRequiredNamesTheVersion) {
  UpgradeRequest req = valid_request();
  req.ws_version = "8";
  const std::string r = render_handshake_error(evaluate_upgrade(req, {}).error);
  EXPECT_EQ(r.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::ws
