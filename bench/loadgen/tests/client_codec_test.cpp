#include "client_codec.hpp"

#include <gtest/gtest.h>

namespace switchboard::bench {
namespace {

TEST(ClientCodec, AcceptKeyMatchesRfcExample) {
  // RFC 6455 section 1.3: key "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "sec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  EXPECT_EQ(check_upgrade_response(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "");
  EXPECT_NE(check_upgrade_response(head, "AAAA"), "");
  EXPECT_NE(check_upgrade_response("HTTP/1.1 404 Not Found\r\n", "x"), "");
}

TEST(ClientCodec, HandshakeKeysDifferAndAcceptIsConsistent) {
  const HandshakeKey a = make_handshake_key(1);
  const HandshakeKey b = make_handshake_key(2);
  EXPECT_EQ(a.key.size(), 24u);
  EXPECT_NE(a.key, b.key);
  const std::string head = "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: " + a.expected_accept + "\r\n";
  EXPECT_EQ(check_upgrade_response(head, a.expected_accept), "");
}

std::string unmask(const std::string& frame, std::size_t header) {
  std::string payload = frame.substr(header + 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>(payload[i] ^ frame[header + (i & 3)]);
  }
  return payload;
}

TEST(ClientCodec, ClientFramesAreMaskedWithEachLengthForm) {
  for (const std::size_t size : {std::size_t{5}, std::size_t{300}, std::size_t{70000}}) {
    std::string frame;
    const std::string payload(size, 'z');
    append_client_frame(frame, Opcode::kText, payload, 0xA1B2C3D4);
    EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x81);
    EXPECT_TRUE(static_cast<unsigned char>(frame[1]) & 0x80);
    const std::size_t header = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    ASSERT_EQ(frame.size(), header + 4 + size);
    EXPECT_EQ(unmask(frame, header), payload);
  }
}

TEST(ClientCodec, ParsesServerFramesAndAsksForMore) {
  const std::string frame = std::string("\x81\x03", 2) + "abc" + std::string("\x89\x00", 2);
  FrameView view;
  ASSERT_EQ(parse_server_frame(frame.data(), 1, 1024, view), ParseStatus::kNeedMore);
  ASSERT_EQ(parse_server_frame(frame.data(), 4, 1024, view), ParseStatus::kNeedMore);
  ASSERT_EQ(parse_server_frame(frame.data(), frame.size(), 1024, view), ParseStatus::kFrame);
  EXPECT_TRUE(view.fin);
  EXPECT_EQ(view.opcode, Opcode::kText);
  EXPECT_EQ(std::string(view.payload, view.payload_size), "abc");
  EXPECT_EQ(view.frame_size, 5u);
  ASSERT_EQ(parse_server_frame(frame.data() + 5, 2, 1024, view), ParseStatus::kFrame);
  EXPECT_EQ(view.opcode, Opcode::kPing);

  std::string medium = std::string("\x82\x7e\x01\x00", 4) + std::string(256, 'q');
  ASSERT_EQ(parse_server_frame(medium.data(), medium.size(), 1024, view), ParseStatus::kFrame);
  EXPECT_EQ(view.payload_size, 256u);
  EXPECT_EQ(parse_server_frame(medium.data(), medium.size(), 100, view), ParseStatus::kError);
}

TEST(ClientCodec, RejectsMaskedOrReservedServerFrames) {
  FrameView view;
  const std::string masked("\x81\x80\x00\x00\x00\x00", 6);
  EXPECT_EQ(parse_server_frame(masked.data(), masked.size(), 1024, view), ParseStatus::kError);
  const std::string rsv("\xC1\x00", 2);
  EXPECT_EQ(parse_server_frame(rsv.data(), rsv.size(), 1024, view), ParseStatus::kError);
  const std::string bad_opcode("\x83\x00", 2);
  EXPECT_EQ(parse_server_frame(bad_opcode.data(), bad_opcode.size(), 1024, view),
            ParseStatus::kError);
}

}  // namespace
}  // namespace switchboard::bench
