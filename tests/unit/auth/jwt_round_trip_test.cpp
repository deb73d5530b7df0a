// Every algorithm signs and verifies, rejects tampering, and refuses keys of the wrong type.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_keys.hpp"
#include "token_util.hpp"

namespace switchboard::auth::test {
namespace {

struct KeyMaterial {
  std::string signing;
  std::string verifying;
};

KeyMaterial material_for(Algorithm alg) {
  switch (alg) {
    case Algorithm::HS256:
    case Algorithm::HS384:
    case Algorithm::HS512:
      return {kSecret, kSecret};
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
      return {TestKeys::rsa().private_pem, TestKeys::rsa().public_pem};
    case Algorithm::ES256:
      return {TestKeys::p256().private_pem, TestKeys::p256().public_pem};
    case Algorithm::ES384:
      return {TestKeys::p384().private_pem, TestKeys::p384().public_pem};
  }
  return {};
}

std::size_t signature_size(Algorithm alg) {
  switch (alg) {
    case Algorithm::HS256:
      return 32;
    case Algorithm::HS384:
      return 48;
    case Algorithm::HS512:
      return 64;
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
      return 256;
    case Algorithm::ES256:
      return 64;
    case Algorithm::ES384:
      return 96;
  }
  return 0;
}

class JwtRoundTrip : public ::testing::TestWithParam<Algorithm> {
 protected:
  Algorithm alg() const { return GetParam(); }
  KeyMaterial material_ = material_for(GetParam());
  JwtVerifier verifier_{[&] {
    JwtConfig config;
    config.keys.push_back({GetParam(), "", material_.verifying});
    return config;
  }()};
  std::string token_ = sign_jwt(GetParam(), material_.signing,
                                claims(R"("channels":["conv:*","user:alice"],"info":{"n":1})"));
};

TEST_P(JwtRoundTrip, VerifiesWhatItSigned) {
  ASSERT_FALSE(token_.empty());
  EXPECT_EQ(decoded_part(token_, 2).size(), signature_size(alg()));
  const AuthResult result = verifier_.verify(token_, at(kNow));
  ASSERT_TRUE(result.identity.has_value()) << result.message;
  EXPECT_EQ(result.error, AuthError::none);
  EXPECT_EQ(result.identity->user_id, "alice");
  EXPECT_EQ(result.identity->channels, (std::vector<std::string>{"conv:*", "user:alice"}));
  EXPECT_EQ(result.identity->expires_at, at(kNow + 3600) + JwtConfig{}.leeway);
  EXPECT_EQ(result.identity->info_json, R"({"n":1})");
}

// One test for all forgeries: ctest runs each test in its own process, and every RS* process
// pays for generating an RSA key.
TEST_P(JwtRoundTrip, RejectsEveryTampering) {
  std::vector<std::string> forgeries;
  forgeries.push_back(with_part(token_, 1, b64(claims(R"("channels":["*"])"))));
  for (const std::size_t index : {std::size_t{0}, signature_size(alg()) - 1}) {
    std::string signature = decoded_part(token_, 2);
    signature[index] = static_cast<char>(signature[index] ^ 0x01);
    forgeries.push_back(with_part(token_, 2, b64(signature)));
  }
  forgeries.push_back(with_part(token_, 2, ""));
  forgeries.push_back(with_part(token_, 2, b64(std::string(signature_size(alg()), 'x'))));
  for (const std::string& forged : forgeries) {
    ERR_clear_error();
    expect_failure(verifier_.verify(forged, at(kNow)), AuthError::bad_signature, forged);
    // A failed verification must not leave errors for TLS code later on this thread.
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST_P(JwtRoundTrip, VerifiesConcurrentlyFromSeveralThreads) {
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (verifier_.verify(token_, at(kNow)).identity) ++verified;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 200);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwtRoundTrip, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& param_info) {
                           return std::string(jose_name(param_info.param));
                         });

TEST(JwtAlgorithms, ParsesJoseNamesCaseSensitively) {
  for (const Algorithm expected : kAllAlgorithms) {
    Algorithm alg{};
    ASSERT_TRUE(parse_algorithm(jose_name(expected), alg)) << jose_name(expected);
    EXPECT_EQ(alg, expected);
  }
  Algorithm alg{};
  for (const char* bad : {"none", "None", "hs256", "HS", "", "PS256", "ES512", "EdDSA"}) {
    EXPECT_FALSE(parse_algorithm(bad, alg)) << bad;
  }
}

TEST(JwtKeys, RefusesKeysThatDoNotFitTheAlgorithm) {
  const std::vector<JwtKey> bad = {
      {Algorithm::HS256, "", ""},                            // empty secret
      {Algorithm::RS256, "", TestKeys::p256().public_pem},   // EC key for RSA
      {Algorithm::ES256, "", TestKeys::p256().private_pem},  // private, not public, PEM
      {Algorithm::ES256, "", TestKeys::p384().public_pem},   // wrong curve
      {Algorithm::ES384, "", TestKeys::p256().public_pem},   // wrong curve
      {Algorithm::ES256, "", TestKeys::rsa().public_pem},    // RSA key for ECDSA
      {Algorithm::RS256, "", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
      {Algorithm::RS256, "", generate_rsa(1024).public_pem},  // below RFC 7518's 2048 bits
  };
  for (const JwtKey& key : bad) {
    JwtConfig config;
    config.keys.push_back(key);
    try {
      JwtVerifier verifier(std::move(config));
      ADD_FAILURE() << "accepted a key for alg " << static_cast<int>(key.algorithm);
    } catch (const std::invalid_argument& e) {
      if (!key.material.empty()) {
        EXPECT_EQ(std::string(e.what()).find(key.material), std::string::npos);
      }
    }
  }
}

TEST(JwtKeys, RefusesADuplicateKid) {
  JwtConfig config;
  config.keys.push_back({Algorithm::HS256, "k", "one"});
  config.keys.push_back({Algorithm::HS384, "k", "two"});
  EXPECT_THROW(JwtVerifier{std::move(config)}, std::invalid_argument);
}

TEST(JwtSigner, ReturnsEmptyWhenTheKeyDoesNotFit) {
  EXPECT_EQ(sign_jwt(Algorithm::HS256, "", claims()), "");
  EXPECT_EQ(sign_jwt(Algorithm::RS256, TestKeys::p256().private_pem, claims()), "");
  EXPECT_EQ(sign_jwt(Algorithm::ES256, TestKeys::p384().private_pem, claims()), "");
  EXPECT_EQ(sign_jwt(Algorithm::ES384, TestKeys::p256().private_pem, claims()), "");
  EXPECT_EQ(sign_jwt(Algorithm::RS256, "not a pem", claims()), "");
}

TEST(JwtSigner, WritesAlgTypAndKid) {
  const std::string token = sign_jwt(Algorithm::HS384, kSecret, claims(), "key-1");
  EXPECT_EQ(decoded_part(token, 0), R"({"alg":"HS384","typ":"JWT","kid":"key-1"})");
  EXPECT_EQ(decoded_part(token, 1), claims());
}

TEST(JwtVerifierMove, AMovedVerifierStillVerifies) {
  JwtVerifier first(hs256_config());
  JwtVerifier second(std::move(first));
  const std::string token = sign_jwt(Algorithm::HS256, kSecret, claims());
  EXPECT_TRUE(second.verify(token, at(kNow)).identity.has_value());
  JwtVerifier third(hs256_config("other"));
  third = std::move(second);
  EXPECT_TRUE(third.verify(token, at(kNow)).identity.has_value());
}

}  // namespace
}  // namespace switchboard::auth::test
