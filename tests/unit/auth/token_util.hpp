#pragma once
// Helpers to build JWTs by hand (headers sign_jwt would never write) and to check failures.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base64url.hpp"
#include "switchboard/auth/jwt_verifier.hpp"

namespace switchboard::auth::test {

// A fixed "now" (2023-11-14T22:13:20Z): no test reads the clock.
constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kSecret = "a-secret-long-enough-for-hs512-tests-0123456789";

constexpr std::array<Algorithm, 8> kAllAlgorithms = {
    Algorithm::HS256, Algorithm::HS384, Algorithm::HS512, Algorithm::RS256,
    Algorithm::RS384, Algorithm::RS512, Algorithm::ES256, Algorithm::ES384};

// Written out here rather than taken from the library, so the test checks parse_algorithm.
inline const char* jose_name(Algorithm alg) {
  constexpr const char* kNames[] = {"HS256", "HS384", "HS512", "RS256",
                                    "RS384", "RS512", "ES256", "ES384"};
  return kNames[static_cast<int>(alg)];
}

inline std::chrono::system_clock::time_point at(std::int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

inline std::string b64(std::string_view s) {
  return detail::base64url_encode(s);
}

inline std::string hmac_sha256(std::string_view data, std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

// An HS256 signature over parts given already encoded (or deliberately mis-encoded).
inline std::string hs256_signed(const std::string& header_part, const std::string& payload_part,
                                std::string_view secret = kSecret) {
  const std::string input = header_part + "." + payload_part;
  return input + "." + b64(hmac_sha256(input, secret));
}

// An HS256-signed token with exactly the header given.
inline std::string hs256_token(std::string_view header_json, std::string_view payload_json,
                               std::string_view secret = kSecret) {
  return hs256_signed(b64(header_json), b64(payload_json), secret);
}

// Part 0 (header), 1 (payload) or 2 (signature) of a compact token.
inline std::string part(const std::string& token, int index) {
  std::size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
  return token.substr(begin, token.find('.', begin) - begin);
}

inline std::string with_part(const std::string& token, int index, const std::string& value) {
  std::string parts[3] = {part(token, 0), part(token, 1), part(token, 2)};
  parts[index] = value;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

inline std::string decoded_part(const std::string& token, int index) {
  std::string out;
  EXPECT_TRUE(detail::base64url_decode(part(token, index), out));
  return out;
}

// Checks the error code, and that the message says something without repeating secrets.
inline void expect_failure(const AuthResult& result, AuthError expected, std::string_view token,
                           std::string_view secret = kSecret) {
  EXPECT_FALSE(result.identity.has_value());
  EXPECT_STREQ(to_string(result.error), to_string(expected)) << result.message;
  EXPECT_FALSE(result.message.empty());
  EXPECT_LT(result.message.size(), 80u);
  if (token.size() > 8) {
    EXPECT_EQ(result.message.find(token), std::string::npos);
  }
  if (!secret.empty()) {
    EXPECT_EQ(result.message.find(secret), std::string::npos);
  }
}

inline JwtConfig hs256_config(std::string secret = kSecret) {
  JwtConfig config;
  config.keys.push_back({Algorithm::HS256, "", std::move(secret)});
  return config;
}

inline std::string claims(std::string_view extra = {}) {
  std::string json = R"({"sub":"alice","exp":)" + std::to_string(kNow + 3600);
  if (!extra.empty()) json += std::string(",") + std::string(extra);
  return json + "}";
}

}  // namespace switchboard::auth::test
