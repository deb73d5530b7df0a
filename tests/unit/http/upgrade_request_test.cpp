#include "switchboard/http/upgrade_request.hpp"

#include <gtest/gtest.h>

namespace switchboard::http {
namespace {

Request parsed(std::string_view bytes) {
  ParseOutcome outcome = parse_request(bytes, ParseLimits{});
  EXPECT_EQ(outcome.status, ParseStatus::complete) << bytes;
  return std::move(outcome.request);
}

TEST(IsWebsocketUpgrade, NeedsTheWebsocketToken) {
  Request request;
  EXPECT_FALSE(is_websocket_upgrade(request));
  request.headers = {{"upgrade", "WebSocket"}};
  EXPECT_TRUE(is_websocket_upgrade(request));
  request.headers = {{"Upgrade", "h2c, websocket"}};
  EXPECT_TRUE(is_websocket_upgrade(request));
  request.headers = {{"Upgrade", "h2c"}};
  EXPECT_FALSE(is_websocket_upgrade(request));
  request.headers = {{"Upgrade", "websocketx"}};
  EXPECT_FALSE(is_websocket_upgrade(request));
}

TEST(ToUpgradeRequest, CarriesEveryHandshakeField) {
  const Request request = parsed(
      "GET /ws?token=t HTTP/1.1\r\nHost: gw.example.com\r\nupgrade: websocket\r\n"
      "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nOrigin: https://app.example.com\r\n"
      "Sec-WebSocket-Protocol: chat, superchat\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
  ASSERT_TRUE(is_websocket_upgrade(request));
  const ws::UpgradeRequest upgrade = to_upgrade_request(request);
  EXPECT_EQ(upgrade.method, "GET");
  EXPECT_EQ(upgrade.version, 11u);
  EXPECT_EQ(upgrade.target, "/ws?token=t");
  EXPECT_EQ(upgrade.host, "gw.example.com");
  EXPECT_EQ(upgrade.upgrade, "websocket");
  EXPECT_EQ(upgrade.connection, "keep-alive, Upgrade");
  EXPECT_EQ(upgrade.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(upgrade.ws_version, "13");
  EXPECT_TRUE(upgrade.has_origin);
  EXPECT_EQ(upgrade.origin, "https://app.example.com");
  EXPECT_EQ(upgrade.protocols, "chat, superchat");
  EXPECT_EQ(upgrade.extensions, "permessage-deflate; client_max_window_bits");
  // The views point into the request.
  EXPECT_EQ(upgrade.key.data(), request.header("Sec-WebSocket-Key").data());
}

TEST(ToUpgradeRequest, AbsentOriginAndDuplicatedKey) {
  const Request request = parsed(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: "
      "AAAAAAAAAAAAAAAAAAAAAA==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n");
  const ws::UpgradeRequest upgrade = to_upgrade_request(request);
  EXPECT_FALSE(upgrade.has_origin);
  EXPECT_TRUE(upgrade.origin.empty());
  EXPECT_TRUE(upgrade.key.empty());  // so that the handshake refuses it (RFC 6455 §4.1)
  EXPECT_TRUE(upgrade.protocols.empty());
}

TEST(ToUpgradeRequest, FeedsTheHandshake) {
  // The RFC 6455 §1.3 example key and accept value.
  const std::string head =
      "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
  const ws::HandshakePolicy policy;
  const Request good = parsed(head + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  const ws::HandshakeResult accepted = ws::evaluate_upgrade(to_upgrade_request(good), policy);
  ASSERT_TRUE(accepted.accept.has_value());
  EXPECT_EQ(accepted.accept->accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const Request twice = parsed(head +
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  const ws::HandshakeResult refused = ws::evaluate_upgrade(to_upgrade_request(twice), policy);
  EXPECT_FALSE(refused.accept.has_value());
  EXPECT_EQ(refused.error.status, 400u);
}

}  // namespace
}  // namespace switchboard::http
