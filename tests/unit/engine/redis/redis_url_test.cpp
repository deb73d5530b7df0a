// redis_url and REDIS_HOST parsing: every accepted form, and a clear reason for each refusal.
#include "redis_url.hpp"

#include <gtest/gtest.h>

namespace switchboard::engine::redis {
namespace {

RedisEndpoint only(const RedisUrlResult& r) {
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shards.size(), 1u);
  return r.shards.empty() ? RedisEndpoint{} : r.shards.front();
}

TEST(RedisUrl, HostAndPort) {
  auto ep = only(parse_redis_url("redis://cache.internal:6380"));
  EXPECT_EQ(ep.host, "cache.internal");
  EXPECT_EQ(ep.port, 6380);
  EXPECT_EQ(ep.password, "");
  EXPECT_EQ(ep.database, 0);
}

TEST(RedisUrl, PortDefaultsTo6379) {
  EXPECT_EQ(only(parse_redis_url("redis://localhost")).port, 6379);
  EXPECT_EQ(only(parse_redis_url("REDIS://localhost/")).port, 6379);  // scheme is case-insensitive
}

TEST(RedisUrl, PasswordAndDatabase) {
  auto ep = only(parse_redis_url("redis://:s3cret@10.0.0.5:6379/7"));
  EXPECT_EQ(ep.host, "10.0.0.5");
  EXPECT_EQ(ep.username, "");
  EXPECT_EQ(ep.password, "s3cret");
  EXPECT_EQ(ep.database, 7);
}

TEST(RedisUrl, UserPasswordAndPercentEncoding) {
  auto ep = only(parse_redis_url("redis://app:p%40ss%3Aw%2Frd@db:6379"));
  EXPECT_EQ(ep.username, "app");
  EXPECT_EQ(ep.password, "p@ss:w/rd");
  // A raw '@' in the password: the last '@' ends the credentials.
  EXPECT_EQ(only(parse_redis_url("redis://:a@b@db")).password, "a@b");
}

TEST(RedisUrl, BracketedIpv6) {
  auto ep = only(parse_redis_url("redis://[::1]:7000/2"));
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.port, 7000);
  EXPECT_EQ(ep.database, 2);
  EXPECT_EQ(ep.address(), "[::1]:7000");
}

TEST(RedisUrl, CommaSeparatedShardsKeepTheirOrder) {
  auto r = parse_redis_url("redis://a:1, redis://:pw@b:2/3 ,redis://c:3");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.shards.size(), 3u);
  EXPECT_EQ(r.shards[0].address(), "a:1");
  EXPECT_EQ(r.shards[1].address(), "b:2");
  EXPECT_EQ(r.shards[1].password, "pw");
  EXPECT_EQ(r.shards[1].database, 3);
  EXPECT_EQ(r.shards[2].address(), "c:3");
}

// Each refusal: the message names the entry and the reason.
struct Refusal {
  const char* label;  // the test's name
  const char* text;
  const char* reason;  // a substring of the error
};

class RedisUrlRefused : public ::testing::TestWithParam<Refusal> {};

TEST_P(RedisUrlRefused, WithAClearReason) {
  auto r = parse_redis_url(GetParam().text);
  ASSERT_FALSE(r.ok()) << GetParam().text;
  EXPECT_TRUE(r.shards.empty());
  EXPECT_NE(r.error.find(GetParam().reason), std::string::npos) << r.error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RedisUrlRefused,
    ::testing::Values(
        Refusal{"Empty", "", "redis_url is empty"}, Refusal{"Blank", "   ", "redis_url is empty"},
        Refusal{"MissingScheme", "localhost:6379", "missing scheme"},
        Refusal{"Tls", "rediss://h:6379", "TLS (rediss://) is not supported"},
        Refusal{"UnixSocket", "unix:///tmp/redis.sock", "unix sockets are not supported"},
        Refusal{"OtherScheme", "http://h:6379", "unsupported scheme 'http'"},
        Refusal{"NoHost", "redis://", "missing host"},
        Refusal{"NoHostWithPort", "redis://:6379", "missing host"},
        Refusal{"EmptyPort", "redis://h:", "invalid port ''"},
        Refusal{"PortZero", "redis://h:0", "invalid port '0'"},
        Refusal{"PortTooLarge", "redis://h:65536", "invalid port '65536'"},
        Refusal{"PortNotNumeric", "redis://h:63x9", "invalid port '63x9'"},
        Refusal{"DatabaseNotNumeric", "redis://h/x", "invalid database '/x'"},
        Refusal{"DatabaseWithSlash", "redis://h/1/2", "invalid database '/1/2'"},
        Refusal{"DatabaseNegative", "redis://h/-1", "invalid database '/-1'"},
        Refusal{"Query", "redis://h?db=1", "query parameters"},
        Refusal{"HostWithSpace", "redis://bad host", "invalid host name 'bad host'"},
        Refusal{"UnbracketedIpv6", "redis://::1:6379", "must be written in brackets"},
        Refusal{"UnclosedBracket", "redis://[::1:6379", "unclosed '['"},
        Refusal{"TextAfterBracket", "redis://[::1]x", "unexpected text after ']'"},
        Refusal{"PasswordWithoutColon", "redis://s3cret@h", "':password@' or 'user:password@'"},
        Refusal{"EmptyPassword", "redis://:@h", "empty password"},
        Refusal{"BadPercentEncoding", "redis://:a%zz@h", "bad percent-encoding"},
        Refusal{"EmptyEntry", "redis://a:1,,redis://b:2", "redis_url entry 2 is empty"},
        Refusal{"TrailingComma", "redis://a:1,", "redis_url entry 2 is empty"},
        Refusal{"RepeatedShard", "redis://a:1,redis://b:2,redis://a:1",
                "redis_url entry 3 repeats entry 1 (a:1 db 0)"}),
    [](const auto& test_info) { return std::string(test_info.param.label); });

TEST(RedisUrl, ErrorsNameTheEntryAndNeverThePassword) {
  auto r = parse_redis_url("redis://a:1,redis://:topsecret@b:99999");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("redis_url entry 2 'redis://:***@b:99999'"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("topsecret"), std::string::npos) << r.error;
  r = parse_redis_url("redis://app:topsecret@b/x");
  EXPECT_NE(r.error.find("'redis://app:***@b/x'"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("topsecret"), std::string::npos) << r.error;
}

TEST(RedisHost, HostOrHostPort) {
  auto ep = only(parse_redis_host("redis.internal:6390"));
  EXPECT_EQ(ep.host, "redis.internal");
  EXPECT_EQ(ep.port, 6390);
  EXPECT_EQ(only(parse_redis_host(" localhost ")).port, 6379);
  EXPECT_EQ(only(parse_redis_host("[::1]:6391")).address(), "[::1]:6391");
}

TEST(RedisHost, Refusals) {
  for (const char* text : {"", "h:x", "h:70000", "a:b:c", "redis://h:1"}) {
    auto r = parse_redis_host(text);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error.find("REDIS_HOST"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("expected host or host:port"), std::string::npos) << r.error;
  }
}

}  // namespace
}  // namespace switchboard::engine::redis
