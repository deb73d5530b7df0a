#pragma once
// Key pairs made fresh with OpenSSL for the auth tests and the JWT micro-benchmark (no key
// files in the repository), PEM-encoded as a configuration would hold them.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace switchboard::auth::test {

struct PemKeyPair {
  std::string private_pem;
  std::string public_pem;
};

namespace keys_detail {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};

template <typename Writer>
std::string to_pem(EVP_PKEY* key, Writer write) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get(), key) != 1) throw std::runtime_error("PEM encoding failed");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

inline PemKeyPair encode(EVP_PKEY* raw) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(raw);
  if (!key) throw std::runtime_error("key generation failed");
  return {to_pem(key.get(),
                 [](BIO* b, EVP_PKEY* k) {
                   return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
                 }),
          to_pem(key.get(), [](BIO* b, EVP_PKEY* k) { return PEM_write_bio_PUBKEY(b, k); })};
}

}  // namespace keys_detail

inline PemKeyPair generate_rsa(std::size_t bits = 2048) {
  return keys_detail::encode(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}

// curve: "P-256" or "P-384".
inline PemKeyPair generate_ec(const char* curve) {
  return keys_detail::encode(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

// Each pair is made once per process, on first use: ctest runs every test in its own process
// and RSA generation takes a noticeable fraction of a second, so tests that need no RSA key
// must not pay for one.
struct TestKeys {
  static const PemKeyPair& rsa() {
    static const PemKeyPair pair = generate_rsa();
    return pair;
  }
  static const PemKeyPair& p256() {
    static const PemKeyPair pair = generate_ec("P-256");
    return pair;
  }
  static const PemKeyPair& p384() {
    static const PemKeyPair pair = generate_ec("P-384");
    return pair;
  }
};

}  // namespace switchboard::auth::test
