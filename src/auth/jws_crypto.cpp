#include "jws_crypto.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <array>
#include <climits>

namespace switchboard::auth::detail {
namespace {

// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
constexpr int kMinRsaBits = 2048;

constexpr std::array<AlgorithmInfo, 8> kAlgorithms{{
    {"HS256", "SHA256", KeyFamily::hmac, 0, 0},
    {"HS384", "SHA384", KeyFamily::hmac, 0, 0},
    {"HS512", "SHA512", KeyFamily::hmac, 0, 0},
    {"RS256", "SHA256", KeyFamily::rsa, 0, 0},
    {"RS384", "SHA384", KeyFamily::rsa, 0, 0},
    {"RS512", "SHA512", KeyFamily::rsa, 0, 0},
    {"ES256", "SHA256", KeyFamily::ecdsa, 32, NID_X9_62_prime256v1},
    {"ES384", "SHA384", KeyFamily::ecdsa, 48, NID_secp384r1},
}};

struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const noexcept { ECDSA_SIG_free(sig); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};

// Refuses every passphrase: without it OpenSSL's default callback would prompt on the tty.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

int curve_nid(EVP_PKEY* key) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &len) != 1) return NID_undef;
  const int nid = OBJ_sn2nid(name.data());
  return nid != NID_undef ? nid : EC_curve_nist2nid(name.data());
}

bool key_fits(Algorithm algorithm, EVP_PKEY* key) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  switch (info.family) {
    case KeyFamily::rsa:
      return EVP_PKEY_is_a(key, "RSA") == 1 && EVP_PKEY_get_bits(key) >= kMinRsaBits;
    case KeyFamily::ecdsa:
      return EVP_PKEY_is_a(key, "EC") == 1 && curve_nid(key) == info.ecdsa_curve_nid;
    case KeyFamily::hmac:
      break;
  }
  return false;
}

template <typename Reader>
PkeyPtr load_key(Algorithm algorithm, std::string_view pem, Reader read) {
  if (pem.empty() || pem.size() > INT_MAX) return nullptr;
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? read(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!key || !key_fits(algorithm, key.get())) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

// JWS carries ECDSA signatures as fixed-width big-endian r||s (RFC 7518 §3.4); OpenSSL
// wants DER. A wrong width is refused here rather than padded, so there is one encoding.
std::string ecdsa_raw_to_der(std::string_view raw, std::size_t part) {
  if (raw.size() != 2 * part) return {};
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(part), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + part, static_cast<int>(part), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  return i2d_ECDSA_SIG(sig.get(), &out) == len ? der : std::string{};
}

std::string ecdsa_der_to_raw(std::string_view der, std::size_t part) {
  const unsigned char* in = bytes(der);
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(
      d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * part, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int n = static_cast<int>(part);
  if (BN_bn2binpad(r, out, n) != n || BN_bn2binpad(s, out + part, n) != n) return {};
  return raw;
}

}  // namespace

const AlgorithmInfo& algorithm_info(Algorithm algorithm) noexcept {
  return kAlgorithms[static_cast<std::size_t>(algorithm)];
}

void PkeyDeleter::operator()(EVP_PKEY* key) const noexcept {
  EVP_PKEY_free(key);
}

PkeyPtr load_public_key(Algorithm algorithm, std::string_view pem) {
  return load_key(algorithm, pem, PEM_read_bio_PUBKEY);
}

PkeyPtr load_private_key(Algorithm algorithm, std::string_view pem) {
  return load_key(algorithm, pem, PEM_read_bio_PrivateKey);
}

void HmacKey::CtxDeleter::operator()(EVP_MAC_CTX* ctx) const noexcept {
  EVP_MAC_CTX_free(ctx);
}

HmacKey::HmacKey(Algorithm algorithm, std::string_view secret) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  if (info.family != KeyFamily::hmac || secret.empty()) return;
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  std::unique_ptr<EVP_MAC_CTX, CtxDeleter> ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(info.digest), 0),
      OSSL_PARAM_construct_end()};
  if (ctx && EVP_MAC_init(ctx.get(), bytes(secret), secret.size(), params) == 1) {
    ctx_ = std::move(ctx);
  } else {
    ERR_clear_error();
  }
}

std::string HmacKey::compute(std::string_view data) const {
  if (!ctx_) return {};
  // A copy of the keyed context costs two digest-state copies; re-keying would cost two
  // compression rounds and would not be const.
  std::unique_ptr<EVP_MAC_CTX, CtxDeleter> ctx(EVP_MAC_CTX_dup(ctx_.get()));
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), bytes(data), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

bool verify_asymmetric(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input,
                       std::string_view signature) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  std::string der;
  if (info.family == KeyFamily::ecdsa) {
    der = ecdsa_raw_to_der(signature, info.ecdsa_part_size);
    if (der.empty()) return false;
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  const bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx.get(), nullptr, info.digest, nullptr, nullptr, key,
                                          nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(),
                                   bytes(signing_input), signing_input.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

std::string sign_asymmetric(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, info.digest, nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(signing_input), signing_input.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     bytes(signing_input), signing_input.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  signature.resize(len);
  if (info.family == KeyFamily::ecdsa) return ecdsa_der_to_raw(signature, info.ecdsa_part_size);
  return signature;
}

}  // namespace switchboard::auth::detail
