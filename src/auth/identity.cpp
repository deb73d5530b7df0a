#include "switchboard/auth/identity.hpp"

namespace switchboard::auth {

// These strings are the `code` of auth.error on the wire (docs/protocol.md): never rename one.
const char* to_string(AuthError e) noexcept {
  switch (e) {
    case AuthError::none:
      return "none";
    case AuthError::missing_token:
      return "missing_token";
    case AuthError::malformed_token:
      return "malformed_token";
    case AuthError::unsupported_algorithm:
      return "unsupported_algorithm";
    case AuthError::unknown_key:
      return "unknown_key";
    case AuthError::bad_signature:
      return "bad_signature";
    case AuthError::expired:
      return "expired";
    case AuthError::not_yet_valid:
      return "not_yet_valid";
    case AuthError::wrong_issuer:
      return "wrong_issuer";
    case AuthError::wrong_audience:
      return "wrong_audience";
    case AuthError::missing_subject:
      return "missing_subject";
    case AuthError::service_rejected:
      return "service_rejected";
    case AuthError::service_unavailable:
      return "service_unavailable";
  }
  return "unknown";
}

}  // namespace switchboard::auth
