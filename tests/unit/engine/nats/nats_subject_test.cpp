// Channel names as one NATS subject token (src/engine/nats/nats_subject.hpp).
#include "nats_subject.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "nats_connection.hpp"

namespace switchboard::engine::nats {
namespace {

TEST(NatsSubject, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(escape_subject_token("chat:room-1_A"), "chat:room-1_A");
  EXPECT_EQ(escape_subject_token("user#42/x@y"), "user#42/x@y");
}

TEST(NatsSubject, SeparatorWildcardsAndPercentAreEscaped) {
  EXPECT_EQ(escape_subject_token("a.b"), "a%2Eb");
  EXPECT_EQ(escape_subject_token("*"), "%2A");
  EXPECT_EQ(escape_subject_token(">"), "%3E");
  EXPECT_EQ(escape_subject_token("100%"), "100%25");
}

TEST(NatsSubject, WhitespaceControlAndNonAsciiBytesAreEscaped) {
  EXPECT_EQ(escape_subject_token("a b\tc\r\n"), "a%20b%09c%0D%0A");
  EXPECT_EQ(escape_subject_token(std::string("\0\x1f\x7f", 3)), "%00%1F%7F");
  EXPECT_EQ(escape_subject_token("caf\xc3\xa9"), "caf%C3%A9");  // "café" in UTF-8
}

TEST(NatsSubject, EscapedTokensHoldNothingNatsGivesAMeaning) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  for (const char c : escape_subject_token(every_byte)) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte > 0x20 && byte < 0x7f && c != '.' && c != '*' && c != '>') << int(byte);
  }
}

TEST(NatsSubject, DistinctNamesGetDistinctTokens) {
  // The escape of '%' is what keeps "a%2Eb" (the name) apart from "a.b" escaped.
  const std::set<std::string> tokens{escape_subject_token("a.b"), escape_subject_token("a%2Eb"),
                                     escape_subject_token(""), escape_subject_token("%"),
                                     escape_subject_token("%25")};
  EXPECT_EQ(tokens.size(), 5u);
  EXPECT_EQ(escape_subject_token(""), "%");  // no channel has it, but it stays a valid token
}

TEST(NatsSubject, ChannelAndNodeSubjectsAreUnderThePrefix) {
  EXPECT_EQ(channel_subject("switchboard", "news.today"), "switchboard.c.news%2Etoday");
  EXPECT_EQ(node_subject("sb-test", "node 1"), "sb-test.n.node%201");
}

TEST(NatsSubject, PrefixesAreOneOrMoreTokensWithoutWildcards) {
  EXPECT_EQ(subject_prefix_problem("switchboard"), std::nullopt);
  EXPECT_EQ(subject_prefix_problem("acme.prod-1"), std::nullopt);
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "a*", "a.>", "a b", "a\tb"}) {
    EXPECT_NE(subject_prefix_problem(bad), std::nullopt) << bad;
  }
}

TEST(NatsConnection, ShownServersDropSchemeAndCredentials) {
  EXPECT_EQ(shown_nats_servers("nats://u:p@a:4222, nats://b:4223"), "a:4222,b:4223");
  EXPECT_EQ(shown_nats_servers("nats://127.0.0.1:4222"), "127.0.0.1:4222");
}

}  // namespace
}  // namespace switchboard::engine::nats
