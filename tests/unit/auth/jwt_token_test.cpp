// The token's shape and header: parts, encoding, size, alg (none, confusion), crit, kid.
#include <gtest/gtest.h>

#include <string>

#include "test_keys.hpp"
#include "token_util.hpp"

namespace switchboard::auth::test {
namespace {

constexpr const char* kHeader = R"({"alg":"HS256","typ":"JWT"})";

class JwtToken : public ::testing::Test {
 protected:
  AuthResult verify(const std::string& token) const { return verifier_.verify(token, at(kNow)); }
  void expect(const std::string& token, AuthError error) const {
    expect_failure(verify(token), error, token);
  }

  JwtVerifier verifier_{hs256_config()};
  std::string good_ = hs256_token(kHeader, claims());
};

TEST_F(JwtToken, AcceptsTheHandBuiltToken) {
  ASSERT_TRUE(verify(good_).identity.has_value()) << verify(good_).message;
}

TEST_F(JwtToken, RejectsWrongNumbersOfParts) {
  expect(part(good_, 0) + "." + part(good_, 1), AuthError::malformed_token);
  expect(good_ + "." + part(good_, 2), AuthError::malformed_token);
  expect(part(good_, 0) + part(good_, 1) + part(good_, 2), AuthError::malformed_token);
  expect("..", AuthError::malformed_token);
  expect("...", AuthError::malformed_token);
}

TEST_F(JwtToken, AnEmptyTokenIsMissing) {
  expect("", AuthError::missing_token);
}

TEST_F(JwtToken, RejectsBadBase64InEachPart) {
  expect(with_part(good_, 0, part(good_, 0) + "="), AuthError::malformed_token);
  // The signature is checked first, so a bad payload encoding must carry a good signature.
  expect(hs256_signed(b64(kHeader), b64(claims()) + "="), AuthError::malformed_token);
  expect(hs256_signed(b64(kHeader), "eyJzdWIiOiJhIn0+"), AuthError::malformed_token);
  expect(hs256_signed(b64(kHeader) + "=", b64(claims())), AuthError::malformed_token);
  expect(with_part(good_, 2, part(good_, 2) + "="), AuthError::malformed_token);
  expect(with_part(good_, 2, "abc$"), AuthError::malformed_token);
  expect(" " + good_, AuthError::malformed_token);
}

TEST_F(JwtToken, RejectsHeadersThatAreNotAnObjectWithAnAlg) {
  for (const char* header : {"[]", "\"HS256\"", "{", R"({"typ":"JWT"})", R"({"alg":256})",
                             R"({"alg":null})", "{\"alg\":\"HS256\"} trailing"}) {
    expect(hs256_token(header, claims()), AuthError::malformed_token);
  }
}

TEST_F(JwtToken, RejectsPayloadsThatAreNotAnObject) {
  for (const char* payload : {"[]", "\"alice\"", "42", "{\"sub\":", "null"}) {
    expect(hs256_token(kHeader, payload), AuthError::malformed_token);
  }
}

TEST_F(JwtToken, RejectsAlgNoneInAnySpelling) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"("})";
    const std::string unsigned_token = b64(header) + "." + b64(claims()) + ".";
    expect(unsigned_token, AuthError::unsupported_algorithm);
  }
}

TEST_F(JwtToken, RejectsAnAlgorithmWithNoConfiguredKey) {
  expect(sign_jwt(Algorithm::HS512, kSecret, claims()), AuthError::unsupported_algorithm);
  expect(hs256_token(R"({"alg":"PS256"})", claims()), AuthError::unsupported_algorithm);
}

TEST_F(JwtToken, RejectsACritHeader) {
  expect(hs256_token(R"({"alg":"HS256","crit":["exp"],"exp":1})", claims()),
         AuthError::malformed_token);
}

TEST_F(JwtToken, IgnoresTyp) {
  EXPECT_TRUE(verify(hs256_token(R"({"alg":"HS256","typ":"at+jwt"})", claims())).identity);
  EXPECT_TRUE(verify(hs256_token(R"({"alg":"HS256"})", claims())).identity);
}

// The classic confusion attack: the RSA public key is public, so an attacker HMACs a token
// with its PEM text and hopes the verifier uses "the key" as an HMAC secret.
TEST(JwtConfusion, HmacSignedWithTheRsaPublicKeyIsRefused) {
  JwtConfig config;
  config.keys.push_back({Algorithm::RS256, "", TestKeys::rsa().public_pem});
  const JwtVerifier verifier(config);
  const std::string forged = sign_jwt(Algorithm::HS256, TestKeys::rsa().public_pem, claims());
  ASSERT_FALSE(forged.empty());
  expect_failure(verifier.verify(forged, at(kNow)), AuthError::unsupported_algorithm, forged,
                 TestKeys::rsa().public_pem);

  // Naming the RSA key by kid does not help either.
  JwtConfig with_kid;
  with_kid.keys.push_back({Algorithm::RS256, "rsa", TestKeys::rsa().public_pem});
  const JwtVerifier kid_verifier(with_kid);
  const std::string forged_kid =
      sign_jwt(Algorithm::HS256, TestKeys::rsa().public_pem, claims(), "rsa");
  expect_failure(kid_verifier.verify(forged_kid, at(kNow)), AuthError::unsupported_algorithm,
                 forged_kid, TestKeys::rsa().public_pem);
}

TEST(JwtConfusion, WithAnHmacKeyAlsoConfiguredTheForgeryFailsItsSignature) {
  JwtConfig config = hs256_config();
  config.keys.push_back({Algorithm::RS256, "", TestKeys::rsa().public_pem});
  const JwtVerifier verifier(config);
  const std::string forged = sign_jwt(Algorithm::HS256, TestKeys::rsa().public_pem, claims());
  expect_failure(verifier.verify(forged, at(kNow)), AuthError::bad_signature, forged,
                 TestKeys::rsa().public_pem);
  // Both keys still serve their own algorithm.
  EXPECT_TRUE(verifier.verify(sign_jwt(Algorithm::HS256, kSecret, claims()), at(kNow)).identity);
  EXPECT_TRUE(
      verifier.verify(sign_jwt(Algorithm::RS256, TestKeys::rsa().private_pem, claims()), at(kNow))
          .identity);
}

TEST(JwtEcdsa, RejectsSignaturesOfTheWrongLength) {
  JwtConfig config;
  config.keys.push_back({Algorithm::ES256, "", TestKeys::p256().public_pem});
  const JwtVerifier verifier(config);
  const std::string token = sign_jwt(Algorithm::ES256, TestKeys::p256().private_pem, claims());
  const std::string raw = decoded_part(token, 2);
  ASSERT_EQ(raw.size(), 64u);
  ASSERT_TRUE(verifier.verify(token, at(kNow)).identity);
  for (const std::string& signature :
       {raw.substr(0, 63), raw + '\0', std::string(1, '\0') + raw, raw + raw, std::string()}) {
    const std::string forged = with_part(token, 2, b64(signature));
    expect_failure(verifier.verify(forged, at(kNow)), AuthError::bad_signature, forged);
  }
  // An ES384-sized signature (96 bytes) for an ES256 token.
  const std::string es384 = sign_jwt(Algorithm::ES384, TestKeys::p384().private_pem, claims());
  const std::string mixed = with_part(token, 2, part(es384, 2));
  expect_failure(verifier.verify(mixed, at(kNow)), AuthError::bad_signature, mixed);
}

TEST(JwtSize, RejectsTokensOverEightKibWithoutLookingInside) {
  const JwtVerifier verifier(hs256_config());
  // Build tokens around the limit with a filler claim, signed properly.
  std::string largest_fitting, smallest_too_big;
  for (std::size_t filler = 5900; filler < 6200 && smallest_too_big.empty(); ++filler) {
    const std::string token =
        sign_jwt(Algorithm::HS256, kSecret, claims("\"pad\":\"" + std::string(filler, 'x') + "\""));
    (token.size() <= 8192 ? largest_fitting : smallest_too_big) = token;
  }
  ASSERT_GE(largest_fitting.size(), 8189u);
  ASSERT_GT(smallest_too_big.size(), 8192u);
  EXPECT_TRUE(verifier.verify(largest_fitting, at(kNow)).identity);
  expect_failure(verifier.verify(smallest_too_big, at(kNow)), AuthError::malformed_token,
                 smallest_too_big);
  const std::string huge(1 << 20, 'A');
  expect_failure(verifier.verify(huge, at(kNow)), AuthError::malformed_token, huge);
}

class JwtKid : public ::testing::Test {
 protected:
  JwtKid() {
    JwtConfig config;
    config.keys.push_back({Algorithm::HS256, "a", "secret-a"});
    config.keys.push_back({Algorithm::HS256, "b", "secret-b"});
    config.keys.push_back({Algorithm::ES256, "e", TestKeys::p256().public_pem});
    verifier_ = std::make_unique<JwtVerifier>(std::move(config));
  }
  AuthResult verify(const std::string& token) const { return verifier_->verify(token, at(kNow)); }

  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtKid, UsesTheKeyTheKidNames) {
  EXPECT_TRUE(verify(sign_jwt(Algorithm::HS256, "secret-a", claims(), "a")).identity);
  EXPECT_TRUE(verify(sign_jwt(Algorithm::HS256, "secret-b", claims(), "b")).identity);
  EXPECT_TRUE(
      verify(sign_jwt(Algorithm::ES256, TestKeys::p256().private_pem, claims(), "e")).identity);
}

TEST_F(JwtKid, DoesNotFallBackToOtherKeysWhenTheKidIsWrong) {
  const std::string token = sign_jwt(Algorithm::HS256, "secret-b", claims(), "a");
  expect_failure(verify(token), AuthError::bad_signature, token, "secret-b");
}

TEST_F(JwtKid, RejectsAnUnknownKid) {
  const std::string token = sign_jwt(Algorithm::HS256, "secret-a", claims(), "c");
  expect_failure(verify(token), AuthError::unknown_key, token, "secret-a");
}

TEST_F(JwtKid, RejectsAKidUsedWithAnotherAlgorithm) {
  const std::string token = sign_jwt(Algorithm::HS256, "secret-a", claims(), "e");
  expect_failure(verify(token), AuthError::unsupported_algorithm, token, "secret-a");
}

TEST_F(JwtKid, RejectsAKidThatIsNotAString) {
  const std::string token = hs256_token(R"({"alg":"HS256","kid":7})", claims(), "secret-a");
  expect_failure(verify(token), AuthError::malformed_token, token, "secret-a");
}

TEST_F(JwtKid, WithoutAKidTriesEveryKeyOfTheAlgorithm) {
  EXPECT_TRUE(verify(sign_jwt(Algorithm::HS256, "secret-a", claims())).identity);
  EXPECT_TRUE(verify(sign_jwt(Algorithm::HS256, "secret-b", claims())).identity);
  const std::string token = sign_jwt(Algorithm::HS256, "secret-c", claims());
  expect_failure(verify(token), AuthError::bad_signature, token, "secret-c");
}

// With no kid configured anywhere a token's kid selects nothing, so it is not held against
// the token (issuers often stamp one on every token).
TEST(JwtKidless, IgnoresTheTokensKidWhenNoKeyHasOne) {
  const JwtVerifier verifier(hs256_config());
  EXPECT_TRUE(
      verifier.verify(sign_jwt(Algorithm::HS256, kSecret, claims(), "2024-01"), at(kNow)).identity);
}

}  // namespace
}  // namespace switchboard::auth::test
