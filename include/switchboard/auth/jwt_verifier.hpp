#pragma once
// JWT verification (RFC 7519 / RFC 7515 compact serialisation) with OpenSSL: HS256/384/512,
// RS256/384/512, ES256/384. The algorithm is pinned per key: a token whose header names another
// algorithm is refused (no `alg: none`, no HS256 signed with an RSA public key), and claims are
// checked here, not trusted to a library.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/auth/identity.hpp"

namespace switchboard::auth {

enum class Algorithm { HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384 };

struct JwtKey {
  Algorithm algorithm = Algorithm::HS256;
  std::string kid;       // matched against the token's `kid` header when both are set
  std::string material;  // the HMAC secret, or a PEM public key (RS*/ES*)
};

struct JwtConfig {
  std::vector<JwtKey> keys;
  std::string issuer;    // required `iss` when non-empty
  std::string audience;  // required in `aud` (string or array) when non-empty
  std::chrono::seconds leeway{30};  // for exp and nbf
  std::string user_claim = "sub";
  std::string channels_claim = "channels";  // array of channel patterns
};

// Thread safety: immutable after construction; verify() may be called from any thread.
class JwtVerifier {
 public:
  // Throws std::invalid_argument for an unusable key (bad PEM, wrong key type for alg).
  explicit JwtVerifier(JwtConfig config);
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;

  AuthResult verify(std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "HS256", "RS512", ... (case-sensitive as in JOSE); false when unknown.
bool parse_algorithm(std::string_view name, Algorithm& out) noexcept;

// Signs a token (HS* with a secret, RS*/ES* with a PEM private key): used by tests, the load
// generator and examples. Returns an empty string when the key does not fit the algorithm.
std::string sign_jwt(Algorithm algorithm, std::string_view key_material,
                     std::string_view payload_json, std::string_view kid = {});

}  // namespace switchboard::auth
