// libFuzzer target for JwtVerifier::verify, pinned to HS256. Two modes, chosen by the first
// byte:
// - even: the rest is a token, as an attacker would send it. Whatever it is, the verifier
//   answers without crashing, every failure names its reason, and a token is accepted only if
//   its header says HS256 and its signature is the HMAC of its first two parts under the
//   secret (checked here with OpenSSL directly, independently of the verifier).
// - odd: the rest is a claims object, signed with the secret: the claim checks (types of sub,
//   exp, nbf, iss, aud, channels) face arbitrary JSON; an accepted token has a user id.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "switchboard/auth/jwt_verifier.hpp"

namespace {

using switchboard::auth::Algorithm;
using switchboard::auth::AuthError;
using switchboard::auth::JwtConfig;
using switchboard::auth::JwtVerifier;

constexpr std::string_view kSecret = "fuzz-secret";
// A fixed instant, so that a run is reproducible (exp/nbf in the corpus are around it).
constexpr std::chrono::seconds kNow{1'800'000'000};

void check(bool condition) {
  if (!condition) std::abort();
}

const JwtVerifier& verifier() {
  static const JwtVerifier v = [] {
    JwtConfig config;
    config.keys.push_back({Algorithm::HS256, "", std::string(kSecret)});
    config.issuer = "fuzz-issuer";
    config.audience = "fuzz-audience";
    return JwtVerifier(std::move(config));
  }();
  return v;
}

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | data[i];
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 63]);
  return out;
}

std::string hs256(std::string_view signing_input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

// Lenient decoding (leftover bits ignored): two spellings of the same bytes are one signature.
// Returns false on a character outside the alphabet.
bool base64url_decode(std::string_view in, std::string& out) {
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::chrono::system_clock::time_point now(kNow);
  if (data[0] % 2 == 0) {
    const auto result = verifier().verify(rest, now);
    if (!result.identity) {
      check(result.error != AuthError::none && !result.message.empty());
      return 0;
    }
    // Accepted: it must be exactly what the secret signs.
    const std::size_t dot = rest.rfind('.');
    check(dot != std::string_view::npos);
    std::string signature;
    check(base64url_decode(rest.substr(dot + 1), signature));
    check(signature == hs256(rest.substr(0, dot)));
    check(!result.identity->user_id.empty());
    return 0;
  }
  const std::string header = base64url(
      reinterpret_cast<const unsigned char*>(R"({"alg":"HS256","typ":"JWT"})"), 27);
  const std::string body =
      base64url(reinterpret_cast<const unsigned char*>(rest.data()), rest.size());
  const std::string signing_input = header + "." + body;
  const std::string mac = hs256(signing_input);
  const auto result = verifier().verify(
      signing_input + "." +
          base64url(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()),
      now);
  if (result.identity) {
    check(!result.identity->user_id.empty());
  } else {
    check(result.error != AuthError::none && !result.message.empty());
  }
  return 0;
}
