#pragma once
// Who a connection is, once authenticated, and why authentication failed otherwise.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::auth {

struct Identity {
  std::string user_id;                // the JWT `sub`, or what the auth service answered
  std::vector<std::string> channels;  // channel patterns this user may subscribe to ("conv:*")
  // When the session must end unless refreshed: the moment the token stops being accepted
  // (a JWT's exp plus the verifier's leeway; the auth service's expires_at).
  std::optional<std::chrono::system_clock::time_point> expires_at;
  std::string info_json;              // optional JSON object from the token/service, or empty
};

// Authentication failures; each has a stable string code (to_string) that clients see in
// auth.error {code, message}. docs/protocol.md lists them.
enum class AuthError {
  none,
  missing_token,          // no token at upgrade nor in an auth message in time
  malformed_token,        // not three base64url parts, bad JSON, bad claim types
  unsupported_algorithm,  // alg none, or an alg not configured for the key (HS/RS confusion)
  unknown_key,            // kid names no configured key
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_subject,
  service_rejected,       // the auth service said no
  service_unavailable,    // the auth service failed, timed out or answered garbage
};

const char* to_string(AuthError e) noexcept;

struct AuthResult {
  std::optional<Identity> identity;
  AuthError error = AuthError::none;
  std::string message;  // human-readable detail (never contains the token)

  static AuthResult ok(Identity identity) { return {std::move(identity), AuthError::none, {}}; }
  static AuthResult fail(AuthError e, std::string message) { return {std::nullopt, e, std::move(message)}; }
};

}  // namespace switchboard::auth
