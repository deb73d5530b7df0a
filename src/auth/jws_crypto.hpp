#pragma once
// The OpenSSL side of JWS (RFC 7515, algorithms of RFC 7518 §3): the algorithm table, key
// loading with the key type checked against the algorithm, HMAC, and RSA/ECDSA signing and
// verification. Private to sb_auth; every failure leaves the OpenSSL error queue empty, so a
// bad token never leaks stale errors into TLS code running later on the same thread.
#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/auth/jwt_verifier.hpp"

namespace switchboard::auth::detail {

enum class KeyFamily { hmac, rsa, ecdsa };

struct AlgorithmInfo {
  std::string_view name;  // JOSE name, "HS256"
  const char* digest;     // OpenSSL digest name, "SHA256"
  KeyFamily family;
  std::size_t ecdsa_part_size;  // bytes of r and of s in a JWS ECDSA signature; 0 otherwise
  int ecdsa_curve_nid;          // the one curve this ES* algorithm allows; 0 otherwise
};

const AlgorithmInfo& algorithm_info(Algorithm algorithm) noexcept;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// PEM keys of the type `algorithm` needs (RSA of at least 2048 bits for RS*, EC on the right
// curve for ES*); nullptr otherwise. Encrypted private keys are refused, never prompted for.
PkeyPtr load_public_key(Algorithm algorithm, std::string_view pem);
PkeyPtr load_private_key(Algorithm algorithm, std::string_view pem);

// An HMAC key prepared once; compute() copies the keyed state, so it is const and may run on
// several threads at once.
class HmacKey {
 public:
  HmacKey() = default;
  HmacKey(Algorithm algorithm, std::string_view secret);  // valid() false on failure
  bool valid() const noexcept { return ctx_ != nullptr; }
  // The MAC of `data`, or an empty string on failure.
  std::string compute(std::string_view data) const;

 private:
  struct CtxDeleter {
    void operator()(EVP_MAC_CTX* ctx) const noexcept;
  };
  std::unique_ptr<EVP_MAC_CTX, CtxDeleter> ctx_;
};

// Checks a JWS signature (raw r||s for ES*) with a public key loaded for `algorithm`.
bool verify_asymmetric(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input,
                       std::string_view signature);

// Signs with a private key loaded for `algorithm`; ES* signatures come out as raw r||s.
// Empty on failure.
std::string sign_asymmetric(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input);

}  // namespace switchboard::auth::detail
