// JWT verification: split, header, key selection, signature, then claims. The signature is
// checked before the payload is even decoded, so forged tokens cost one base64 pass and one
// MAC or public-key operation, and nothing from an unverified payload is ever looked at.
#include "switchboard/auth/jwt_verifier.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <stdexcept>

#include "base64url.hpp"
#include "jws_crypto.hpp"

namespace switchboard::auth {
namespace {

namespace json = boost::json;

// Tokens arrive in headers, query strings and the first message: 8 KiB is well above any
// real one and bounds the work an unauthenticated client can ask for.
constexpr std::size_t kMaxTokenSize = 8192;
// Parse scratch space on the stack: a typical header plus payload fits without a heap call.
constexpr std::size_t kParseBufferSize = 4096;
// Largest exp turned into expires_at: system_clock counts nanoseconds in 64 bits (year 2262).
constexpr double kMaxExpirySeconds = 9e9;

struct Problem {
  AuthError error = AuthError::none;
  const char* message = "";
  bool ok() const { return error == AuthError::none; }
};
constexpr Problem kFine{};

AuthResult fail(Problem p) {
  return AuthResult::fail(p.error, p.message);
}

std::string_view view(const json::string& s) {
  return {s.data(), s.size()};
}

struct TokenParts {
  std::string_view header, payload, signature;
  std::string_view signing_input;  // "header.payload" exactly as received (RFC 7515 §5.2)
};

bool split(std::string_view token, TokenParts& out) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return false;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  out.header = token.substr(0, first);
  out.payload = token.substr(first + 1, second - first - 1);
  out.signature = token.substr(second + 1);
  out.signing_input = token.substr(0, second);
  return true;
}

// A base64url part holding JSON; a null value when either layer is invalid.
json::value parse_part(std::string_view part, json::storage_ptr storage) {
  std::string text;
  if (!detail::base64url_decode(part, text)) return nullptr;
  json::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec, storage);
  return ec ? json::value(nullptr) : value;
}

// Reads a NumericDate claim (RFC 7519 §2); false when present but not a number.
bool read_time(const json::object& claims, std::string_view name, std::optional<double>& out) {
  const json::value* v = claims.if_contains(json::string_view(name.data(), name.size()));
  if (v == nullptr) return true;
  if (v->is_int64()) {
    out = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    out = static_cast<double>(v->get_uint64());
  } else if (v->is_double()) {
    out = v->get_double();
  } else {
    return false;
  }
  return true;
}

bool audience_matches(const json::value* aud, std::string_view expected) {
  if (aud == nullptr) return false;
  if (const json::string* s = aud->if_string()) return view(*s) == expected;
  if (const json::array* a = aud->if_array()) {
    return std::any_of(a->begin(), a->end(), [&](const json::value& v) {
      return v.is_string() && view(v.get_string()) == expected;
    });
  }
  return false;
}

// The user id: a non-empty string, or an integer (some backends number their users).
std::optional<std::string> read_user_id(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (const json::string* s = v->if_string()) {
    if (!s->empty()) return std::string(view(*s));
  } else if (v->is_int64()) {
    return std::to_string(v->get_int64());
  } else if (v->is_uint64()) {
    return std::to_string(v->get_uint64());
  }
  return std::nullopt;
}

bool read_channels(const json::value* v, std::vector<std::string>& out) {
  if (v == nullptr) return true;
  const json::array* a = v->if_array();
  if (a == nullptr) return false;
  out.reserve(a->size());
  for (const json::value& item : *a) {
    if (!item.is_string()) return false;
    out.emplace_back(view(item.get_string()));
  }
  return true;
}

struct PreparedKey {
  Algorithm algorithm;
  std::string kid;
  detail::HmacKey hmac;        // HS*
  detail::PkeyPtr public_key;  // RS*, ES*

  bool verify(std::string_view signing_input, std::string_view signature) const {
    if (public_key) {
      return detail::verify_asymmetric(algorithm, public_key.get(), signing_input, signature);
    }
    const std::string mac = hmac.compute(signing_input);
    // The length of a MAC is public; its bytes are compared in constant time.
    return !mac.empty() && mac.size() == signature.size() &&
           CRYPTO_memcmp(mac.data(), signature.data(), mac.size()) == 0;
  }
};

PreparedKey prepare(const JwtKey& key) {
  const detail::AlgorithmInfo& info = detail::algorithm_info(key.algorithm);
  PreparedKey prepared{key.algorithm, key.kid, {}, {}};
  const std::string which = "JWT key " + std::string(info.name) +
                            (key.kid.empty() ? std::string() : " kid '" + key.kid + "'");
  if (info.family == detail::KeyFamily::hmac) {
    prepared.hmac = detail::HmacKey(key.algorithm, key.material);
    if (!prepared.hmac.valid()) throw std::invalid_argument(which + ": empty or unusable secret");
  } else {
    prepared.public_key = detail::load_public_key(key.algorithm, key.material);
    if (!prepared.public_key) {
      throw std::invalid_argument(which + ": not a PEM public key of the type " +
                                  std::string(info.name) + " needs");
    }
  }
  return prepared;
}

}  // namespace

bool parse_algorithm(std::string_view name, Algorithm& out) noexcept {
  for (int i = 0; i <= static_cast<int>(Algorithm::ES384); ++i) {
    const auto candidate = static_cast<Algorithm>(i);
    if (detail::algorithm_info(candidate).name == name) {
      out = candidate;
      return true;
    }
  }
  return false;
}

struct JwtVerifier::Impl {
  JwtConfig policy;  // claim rules; the key material lives only in `keys`
  std::vector<PreparedKey> keys;
  bool any_kid = false;

  explicit Impl(JwtConfig config) : policy(std::move(config)) {
    keys.reserve(policy.keys.size());
    for (const JwtKey& key : policy.keys) {
      if (!key.kid.empty() && find_kid(key.kid) != nullptr) {
        throw std::invalid_argument("JWT key kid '" + key.kid + "' configured twice");
      }
      keys.push_back(prepare(key));
      any_kid = any_kid || !key.kid.empty();
    }
    policy.keys.clear();
  }

  const PreparedKey* find_kid(std::string_view kid) const {
    for (const PreparedKey& key : keys) {
      if (!key.kid.empty() && key.kid == kid) return &key;
    }
    return nullptr;
  }

  static Problem check_header(const json::object& header, Algorithm& alg) {
    const json::value* name = header.if_contains("alg");
    if (name == nullptr || !name->is_string()) return {AuthError::malformed_token, "no alg"};
    // RFC 7515 §4.1.11: extensions listed in crit must be understood; we support none.
    if (header.contains("crit")) return {AuthError::malformed_token, "crit not supported"};
    // `none` and anything unknown end here; `typ` is advisory (RFC 7519 §5.1) and ignored.
    if (!parse_algorithm(view(name->get_string()), alg)) {
      return {AuthError::unsupported_algorithm, "algorithm not accepted"};
    }
    return kFine;
  }

  // A kid naming a key binds the token to that key and its algorithm. An unknown kid is
  // refused when keys carry kids; when none does, kid means nothing here and is ignored.
  // Without a kid every key pinned to the header's alg is tried: a key never serves another
  // algorithm, which is what rules out HS256 signed with an RSA public key.
  Problem candidate_keys(const json::object& header, Algorithm alg,
                         std::vector<const PreparedKey*>& out) const {
    if (const json::value* kid = header.if_contains("kid")) {
      if (!kid->is_string()) return {AuthError::malformed_token, "kid is not a string"};
      if (const PreparedKey* key = find_kid(view(kid->get_string()))) {
        if (key->algorithm != alg) {
          return {AuthError::unsupported_algorithm, "algorithm not accepted for this kid"};
        }
        out.push_back(key);
        return kFine;
      }
      if (any_kid) return {AuthError::unknown_key, "kid names no configured key"};
    }
    for (const PreparedKey& key : keys) {
      if (key.algorithm == alg) out.push_back(&key);
    }
    if (out.empty()) return {AuthError::unsupported_algorithm, "algorithm not accepted"};
    return kFine;
  }

  Problem check_signature(const json::object& header, Algorithm alg,
                          const TokenParts& parts) const {
    std::vector<const PreparedKey*> candidates;
    if (Problem p = candidate_keys(header, alg, candidates); !p.ok()) return p;
    std::string signature;
    if (!detail::base64url_decode(parts.signature, signature)) {
      return {AuthError::malformed_token, "signature is not base64url"};
    }
    for (const PreparedKey* key : candidates) {
      if (key->verify(parts.signing_input, signature)) return kFine;
    }
    return {AuthError::bad_signature, "signature does not verify"};
  }

  Problem check_times(const json::object& claims, double now, std::optional<double>& exp) const {
    std::optional<double> nbf, iat;
    if (!read_time(claims, "exp", exp) || !read_time(claims, "nbf", nbf) ||
        !read_time(claims, "iat", iat)) {
      return {AuthError::malformed_token, "exp, nbf and iat must be numbers"};
    }
    const auto leeway = static_cast<double>(policy.leeway.count());
    if (exp && now >= *exp + leeway) return {AuthError::expired, "token expired"};
    if (nbf && now + leeway < *nbf) return {AuthError::not_yet_valid, "token not yet valid"};
    return kFine;
  }

  Problem check_issuer_audience(const json::object& claims) const {
    if (!policy.issuer.empty()) {
      const json::value* iss = claims.if_contains("iss");
      if (iss == nullptr || !iss->is_string() || view(iss->get_string()) != policy.issuer) {
        return {AuthError::wrong_issuer, "issuer not accepted"};
      }
    }
    if (!policy.audience.empty() && !audience_matches(claims.if_contains("aud"), policy.audience)) {
      return {AuthError::wrong_audience, "audience not accepted"};
    }
    return kFine;
  }

  AuthResult identity_from(const json::object& claims,
                           std::chrono::system_clock::time_point now) const {
    std::optional<double> exp;
    const double now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
    if (Problem p = check_times(claims, now_seconds, exp); !p.ok()) return fail(p);
    if (Problem p = check_issuer_audience(claims); !p.ok()) return fail(p);
    Identity identity;
    std::optional<std::string> user = read_user_id(claims.if_contains(policy.user_claim));
    if (!user) return AuthResult::fail(AuthError::missing_subject, "no user id in token");
    identity.user_id = std::move(*user);
    if (!read_channels(claims.if_contains(policy.channels_claim), identity.channels)) {
      return AuthResult::fail(AuthError::malformed_token, "channels must be an array of strings");
    }
    if (exp) {
      // When this verifier stops accepting the token (its exp plus the leeway): a session
      // that ended sooner would close a token the verifier has just accepted.
      const std::chrono::duration<double> seconds(
          std::min(*exp + static_cast<double>(policy.leeway.count()), kMaxExpirySeconds));
      identity.expires_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(seconds));
    }
    if (const json::value* info = claims.if_contains("info"); info && info->is_object()) {
      identity.info_json = json::serialize(*info);
    }
    return AuthResult::ok(std::move(identity));
  }
};

JwtVerifier::JwtVerifier(JwtConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

AuthResult JwtVerifier::verify(std::string_view token,
                               std::chrono::system_clock::time_point now) const {
  if (!impl_) return AuthResult::fail(AuthError::unsupported_algorithm, "no keys (moved from)");
  if (token.empty()) return AuthResult::fail(AuthError::missing_token, "empty token");
  if (token.size() > kMaxTokenSize) {
    return AuthResult::fail(AuthError::malformed_token, "token longer than 8 KiB");
  }
  TokenParts parts;
  if (!split(token, parts)) {
    return AuthResult::fail(AuthError::malformed_token, "token is not three dot-separated parts");
  }
  unsigned char buffer[kParseBufferSize];
  json::monotonic_resource scratch(buffer, sizeof buffer);
  const json::value header = parse_part(parts.header, &scratch);
  if (!header.is_object()) {
    return AuthResult::fail(AuthError::malformed_token, "header is not a base64url JSON object");
  }
  Algorithm alg{};
  if (Problem p = Impl::check_header(header.get_object(), alg); !p.ok()) return fail(p);
  if (Problem p = impl_->check_signature(header.get_object(), alg, parts); !p.ok()) return fail(p);
  const json::value payload = parse_part(parts.payload, &scratch);
  if (!payload.is_object()) {
    return AuthResult::fail(AuthError::malformed_token, "payload is not a base64url JSON object");
  }
  return impl_->identity_from(payload.get_object(), now);
}

}  // namespace switchboard::auth
