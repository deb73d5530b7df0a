// Claims (RFC 7519 §4.1): exp and nbf with leeway, iss, aud, the user id, channels and info.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "token_util.hpp"

namespace switchboard::auth::test {
namespace {

class JwtClaims : public ::testing::Test {
 protected:
  // Signs `payload` and verifies it at `now` with the current config.
  AuthResult verify(const std::string& payload, std::int64_t now = kNow) {
    token_ = sign_jwt(Algorithm::HS256, kSecret, payload);
    return JwtVerifier(config_).verify(token_, at(now));
  }
  void expect(const std::string& payload, AuthError error, std::int64_t now = kNow) {
    const AuthResult result = verify(payload, now);  // sets token_: not in the same call
    expect_failure(result, error, token_);
  }
  std::string accepted_user(const std::string& payload, std::int64_t now = kNow) {
    const AuthResult result = verify(payload, now);
    EXPECT_TRUE(result.identity.has_value()) << payload << ": " << result.message;
    return result.identity ? result.identity->user_id : std::string("<rejected>");
  }

  JwtConfig config_ = hs256_config();
  std::string token_;
};

std::string with_time(const char* name, std::int64_t value) {
  return std::string(R"({"sub":"alice",")") + name + "\":" + std::to_string(value) + "}";
}

TEST_F(JwtClaims, ExpiresAtExpPlusLeeway) {
  config_.leeway = std::chrono::seconds(30);
  const std::int64_t exp = kNow;
  EXPECT_EQ(accepted_user(with_time("exp", exp), exp + 29), "alice");
  expect(with_time("exp", exp), AuthError::expired, exp + 30);
  expect(with_time("exp", exp), AuthError::expired, exp + 100000);
}

TEST_F(JwtClaims, ExpiresAtExpWithoutLeeway) {
  config_.leeway = std::chrono::seconds(0);
  EXPECT_EQ(accepted_user(with_time("exp", kNow + 1)), "alice");
  expect(with_time("exp", kNow), AuthError::expired);
}

TEST_F(JwtClaims, HonoursFractionalExp) {
  config_.leeway = std::chrono::seconds(0);
  EXPECT_EQ(accepted_user(R"({"sub":"alice","exp":1700000000.5})"), "alice");
  expect(R"({"sub":"alice","exp":1699999999.5})", AuthError::expired);
}

TEST_F(JwtClaims, IsNotValidBeforeNbfMinusLeeway) {
  config_.leeway = std::chrono::seconds(30);
  const std::int64_t nbf = kNow;
  EXPECT_EQ(accepted_user(with_time("nbf", nbf), nbf - 30), "alice");
  expect(with_time("nbf", nbf), AuthError::not_yet_valid, nbf - 31);
}

TEST_F(JwtClaims, ReportsTheEndOfAcceptanceAsExpiresAt) {
  // exp plus the leeway: a token accepted 5 s after its exp must not be closed as expired
  // at the next sweep.
  config_.leeway = std::chrono::seconds(30);
  EXPECT_EQ(verify(with_time("exp", kNow + 60)).identity->expires_at, at(kNow + 90));
  EXPECT_EQ(verify(with_time("exp", kNow - 5)).identity->expires_at, at(kNow + 25));
  config_.leeway = std::chrono::seconds(0);
  EXPECT_EQ(verify(with_time("exp", kNow + 60)).identity->expires_at, at(kNow + 60));
  EXPECT_FALSE(verify(R"({"sub":"alice"})").identity->expires_at.has_value());
  // Far-future expiries are clamped rather than overflowing the clock.
  const auto far = verify(R"({"sub":"alice","exp":1e300})").identity->expires_at;
  ASSERT_TRUE(far.has_value());
  EXPECT_GT(*far, at(kNow + 100LL * 365 * 24 * 3600));
}

TEST_F(JwtClaims, RejectsTimesThatAreNotNumbers) {
  expect(R"({"sub":"alice","exp":"1700003600"})", AuthError::malformed_token);
  expect(R"({"sub":"alice","nbf":true})", AuthError::malformed_token);
  expect(R"({"sub":"alice","iat":null})", AuthError::malformed_token);
  expect(R"({"sub":"alice","exp":[1700003600]})", AuthError::malformed_token);
  EXPECT_EQ(accepted_user(R"({"sub":"alice","iat":1699999000})"), "alice");
}

TEST_F(JwtClaims, RequiresTheConfiguredIssuer) {
  config_.issuer = "https://issuer.example";
  EXPECT_EQ(accepted_user(claims(R"("iss":"https://issuer.example")")), "alice");
  expect(claims(R"("iss":"https://evil.example")"), AuthError::wrong_issuer);
  expect(claims(R"("iss":["https://issuer.example"])"), AuthError::wrong_issuer);
  expect(claims(), AuthError::wrong_issuer);
}

TEST_F(JwtClaims, IgnoresIssuerWhenNoneIsConfigured) {
  EXPECT_EQ(accepted_user(claims(R"("iss":"anyone")")), "alice");
}

TEST_F(JwtClaims, RequiresTheConfiguredAudienceAsStringOrInArray) {
  config_.audience = "switchboard";
  EXPECT_EQ(accepted_user(claims(R"("aud":"switchboard")")), "alice");
  EXPECT_EQ(accepted_user(claims(R"("aud":["api","switchboard"])")), "alice");
  expect(claims(R"("aud":"api")"), AuthError::wrong_audience);
  expect(claims(R"("aud":["api","other"])"), AuthError::wrong_audience);
  expect(claims(R"("aud":[])"), AuthError::wrong_audience);
  expect(claims(R"("aud":"switchboard2")"), AuthError::wrong_audience);
  expect(claims(R"("aud":{"switchboard":true})"), AuthError::wrong_audience);
  expect(claims(), AuthError::wrong_audience);
}

TEST_F(JwtClaims, RequiresANonEmptySubject) {
  expect(R"({"exp":1700003600})", AuthError::missing_subject);
  expect(R"({"sub":""})", AuthError::missing_subject);
  expect(R"({"sub":null})", AuthError::missing_subject);
  expect(R"({"sub":1.5})", AuthError::missing_subject);
  expect(R"({"sub":{"id":"alice"}})", AuthError::missing_subject);
  expect(R"({"sub":["alice"]})", AuthError::missing_subject);
}

TEST_F(JwtClaims, TurnsIntegerSubjectsIntoDecimalStrings) {
  EXPECT_EQ(accepted_user(R"({"sub":12345})"), "12345");
  EXPECT_EQ(accepted_user(R"({"sub":18446744073709551615})"), "18446744073709551615");
  EXPECT_EQ(accepted_user(R"({"sub":0})"), "0");
}

TEST_F(JwtClaims, ReadsTheConfiguredUserClaim) {
  config_.user_claim = "user_id";
  EXPECT_EQ(accepted_user(R"({"sub":"alice","user_id":"bob"})"), "bob");
  expect(R"({"sub":"alice"})", AuthError::missing_subject);
}

TEST_F(JwtClaims, ReadsChannelsAsAnArrayOfStrings) {
  const AuthResult result = verify(claims(R"("channels":["conv:*","news"])"));
  ASSERT_TRUE(result.identity);
  EXPECT_EQ(result.identity->channels, (std::vector<std::string>{"conv:*", "news"}));
  EXPECT_TRUE(verify(claims()).identity->channels.empty());
  expect(claims(R"("channels":"conv:*")"), AuthError::malformed_token);
  expect(claims(R"("channels":["conv:*",3])"), AuthError::malformed_token);
  expect(claims(R"("channels":null)"), AuthError::malformed_token);
}

TEST_F(JwtClaims, ReadsTheConfiguredChannelsClaim) {
  config_.channels_claim = "rooms";
  const AuthResult result = verify(claims(R"("channels":["ignored"],"rooms":["lobby"])"));
  ASSERT_TRUE(result.identity);
  EXPECT_EQ(result.identity->channels, std::vector<std::string>{"lobby"});
}

TEST_F(JwtClaims, KeepsInfoOnlyWhenItIsAnObject) {
  EXPECT_EQ(verify(claims(R"("info":{"name":"Alice","tags":["a"]})")).identity->info_json,
            R"({"name":"Alice","tags":["a"]})");
  EXPECT_EQ(verify(claims(R"("info":"Alice")")).identity->info_json, "");
  EXPECT_EQ(verify(claims()).identity->info_json, "");
}

TEST(AuthErrorNames, AreStableAndDistinct) {
  EXPECT_STREQ(to_string(AuthError::malformed_token), "malformed_token");
  EXPECT_STREQ(to_string(AuthError::unsupported_algorithm), "unsupported_algorithm");
  EXPECT_STREQ(to_string(AuthError::service_unavailable), "service_unavailable");
  std::set<std::string> names;
  for (int e = 0; e <= static_cast<int>(AuthError::service_unavailable); ++e) {
    names.insert(to_string(static_cast<AuthError>(e)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(AuthError::service_unavailable) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace switchboard::auth::test
