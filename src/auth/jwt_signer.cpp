// sign_jwt: the producing side, for tests, the load generator and examples. It signs exactly
// what it is given (the payload is not validated), so tests can also build malformed tokens.
#include <boost/json.hpp>

#include "base64url.hpp"
#include "jws_crypto.hpp"
#include "switchboard/auth/jwt_verifier.hpp"

namespace switchboard::auth {

std::string sign_jwt(Algorithm algorithm, std::string_view key_material,
                     std::string_view payload_json, std::string_view kid) {
  const detail::AlgorithmInfo& info = detail::algorithm_info(algorithm);
  boost::json::object header;
  header["alg"] = boost::json::string_view(info.name.data(), info.name.size());
  header["typ"] = "JWT";
  if (!kid.empty()) header["kid"] = boost::json::string_view(kid.data(), kid.size());

  std::string token = detail::base64url_encode(boost::json::serialize(header));
  token += '.';
  token += detail::base64url_encode(payload_json);

  std::string signature;
  if (info.family == detail::KeyFamily::hmac) {
    signature = detail::HmacKey(algorithm, key_material).compute(token);
  } else if (detail::PkeyPtr key = detail::load_private_key(algorithm, key_material)) {
    signature = detail::sign_asymmetric(algorithm, key.get(), token);
  }
  if (signature.empty()) return {};
  token += '.';
  token += detail::base64url_encode(signature);
  return token;
}

}  // namespace switchboard::auth
