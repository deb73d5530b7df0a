#include "api_key.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace switchboard::node {

bool api_key_matches(std::string_view offered, std::string_view key) noexcept {
  if (key.empty()) return false;
  // Digests first: equal lengths for the constant-time compare, whatever was offered.
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(offered.data()), offered.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

}  // namespace switchboard::node
