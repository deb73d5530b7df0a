// Token verification as a connection's auth step pays it: HS256 (a MAC) and RS256 (one RSA
// public-key operation), each with header/claims parsing, plus the cost of refusing a forgery.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "switchboard/auth/jwt_verifier.hpp"
#include "test_keys.hpp"

namespace {

using namespace switchboard::auth;

constexpr const char* kSecret = "benchmark-secret-0123456789abcdef";
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
constexpr const char* kClaims =
    R"({"sub":"user-42","exp":1700003600,"iat":1699999000,"iss":"bench",)"
    R"("channels":["conv:*","user:user-42"],"info":{"name":"Bench User"}})";

JwtVerifier make_verifier(Algorithm alg, const std::string& material) {
  JwtConfig config;
  config.keys.push_back({alg, "", material});
  config.issuer = "bench";
  return JwtVerifier(std::move(config));
}

void run(benchmark::State& state, const JwtVerifier& verifier, const std::string& token) {
  for (auto _ : state) {
    AuthResult result = verifier.verify(token, kNow);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyHs256(benchmark::State& state) {
  const JwtVerifier verifier = make_verifier(Algorithm::HS256, kSecret);
  const std::string token = sign_jwt(Algorithm::HS256, kSecret, kClaims);
  if (!verifier.verify(token, kNow).identity) state.SkipWithError("token does not verify");
  run(state, verifier, token);
}
BENCHMARK(BM_VerifyHs256);

void BM_RejectHs256Forgery(benchmark::State& state) {
  const JwtVerifier verifier = make_verifier(Algorithm::HS256, kSecret);
  const std::string token = sign_jwt(Algorithm::HS256, "wrong-secret", kClaims);
  run(state, verifier, token);
}
BENCHMARK(BM_RejectHs256Forgery);

void BM_VerifyRs256(benchmark::State& state) {
  static const switchboard::auth::test::PemKeyPair keys = switchboard::auth::test::generate_rsa();
  const JwtVerifier verifier = make_verifier(Algorithm::RS256, keys.public_pem);
  const std::string token = sign_jwt(Algorithm::RS256, keys.private_pem, kClaims);
  if (!verifier.verify(token, kNow).identity) state.SkipWithError("token does not verify");
  run(state, verifier, token);
}
BENCHMARK(BM_VerifyRs256);

}  // namespace
