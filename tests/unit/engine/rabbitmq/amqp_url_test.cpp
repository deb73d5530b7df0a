// amqp:// addresses as the configuration reads them (amqp_url.hpp): Go's reading of the
// vhost (seed 003's AMQP_URL ends in "/"), defaults, percent-encoding, and the refusals.
#include "amqp_url.hpp"

#include <gtest/gtest.h>

namespace switchboard::engine::rabbitmq {
namespace {

AmqpEndpoint parsed(std::string_view text) {
  auto result = parse_amqp_url(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.error;
  return result.endpoint;
}

std::string refusal(std::string_view text) {
  auto result = parse_amqp_url(text);
  EXPECT_FALSE(result.ok()) << text;
  return result.error;
}

TEST(AmqpUrl, SeedThreesFormWithATrailingSlashIsTheDefaultVhost) {
  const auto ep = parsed("amqp://user:password@rabbit.internal:5673/");
  EXPECT_EQ(ep.host, "rabbit.internal");
  EXPECT_EQ(ep.port, 5673);
  EXPECT_EQ(ep.user, "user");
  EXPECT_EQ(ep.password, "password");
  EXPECT_EQ(ep.vhost, "/");  // rabbitmq-c's amqp_parse_url gives "", which the login refuses
  EXPECT_EQ(ep.address(), "rabbit.internal:5673/");
}

TEST(AmqpUrl, DefaultsAreRabbitMqsAndEveryWayOfWritingTheDefaultVhostIsOne) {
  const auto ep = parsed("amqp://localhost");
  EXPECT_EQ(ep.port, 5672);
  EXPECT_EQ(ep.user, "guest");
  EXPECT_EQ(ep.password, "guest");
  EXPECT_EQ(ep.vhost, "/");
  for (auto text : {"amqp://h/", "amqp://h//", "amqp://h/%2f", "amqp://h/%2F"}) {
    EXPECT_EQ(parsed(text).vhost, "/") << text;
  }
  EXPECT_EQ(parsed("amqp://h/prod").vhost, "prod");
  EXPECT_EQ(parsed("amqp://h/%2fprod").vhost, "/prod");
  EXPECT_EQ(parsed("AMQP://h").host, "h");
}

TEST(AmqpUrl, CredentialsArePercentDecodedAndAUserAloneHasAnEmptyPassword) {
  const auto ep = parsed("amqp://us%40er:p%3As%2Fs@[::1]:5672/");
  EXPECT_EQ(ep.user, "us@er");
  EXPECT_EQ(ep.password, "p:s/s");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.address(), "[::1]:5672/");
  EXPECT_EQ(parsed("amqp://alone@h").password, "");
}

TEST(AmqpUrl, RefusalsSayWhyAndNeverShowThePassword) {
  EXPECT_NE(refusal("amqps://u:secret@h/").find("TLS (amqps://) is not supported"),
            std::string::npos);
  EXPECT_EQ(refusal("amqps://u:secret@h/").find("secret"), std::string::npos);
  EXPECT_NE(refusal("redis://h").find("unsupported scheme 'redis'"), std::string::npos);
  EXPECT_NE(refusal("h:5672").find("missing scheme"), std::string::npos);
  EXPECT_NE(refusal("amqp://u:secret@h:0/").find("invalid port '0'"), std::string::npos);
  EXPECT_EQ(refusal("amqp://u:secret@h:0/").find("secret"), std::string::npos);
  EXPECT_NE(refusal("amqp://h/?heartbeat=10").find("amqp_heartbeat"), std::string::npos);
  EXPECT_NE(refusal("amqp://h/a/b").find("write it as %2f"), std::string::npos);
  EXPECT_NE(refusal("amqp://u:%zz@h").find("percent-encoding"), std::string::npos);
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::engine::rabbitmq
