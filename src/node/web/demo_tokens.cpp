#include "demo_tokens.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "error_codes.hpp"
#include "switchboard/auth/jwt_verifier.hpp"

namespace switchboard::node {
namespace {

bool valid_user(std::string_view user) noexcept {
  if (user.empty() || user.size() > 32) return false;
  for (const char c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("demo: no random bytes for its keys");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

http::Response bad_request(std::string_view message) {
  return http::Response::error(400, api_error_code::kBadRequest, message);
}

}  // namespace

http::Response demo_token(const config::Config& config, std::string_view body,
                          std::chrono::system_clock::time_point now) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  const auto* object = ec ? nullptr : doc.if_object();
  const auto* user = object ? object->if_contains("user") : nullptr;
  if (user == nullptr || !user->is_string()) {
    return bad_request(R"(send {"user": "<name>"})");
  }
  const std::string_view name = user->as_string();
  if (!valid_user(name)) {
    return bad_request("a user name is 1 to 32 of A-Z a-z 0-9 _ - .");
  }
  auth::Algorithm algorithm{};
  if (!auth::parse_algorithm(config.jwt_algorithm, algorithm)) {
    return http::Response::error(500, "internal", "no signing algorithm");
  }
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const boost::json::object claims{{"sub", name},
                                   {"iat", iat.count()},
                                   {"exp", (iat + kDemoTokenLifetime).count()}};
  const std::string token =
      auth::sign_jwt(algorithm, config.jwt_secret, boost::json::serialize(claims));
  if (token.empty()) return http::Response::error(500, "internal", "the token could not be signed");
  const boost::json::object answer{{"token", token},
                                   {"user_id", name},
                                   {"expires_in", kDemoTokenLifetime.count()},
                                   {"ws_path", config.ws_path}};
  return http::Response::json(200, boost::json::serialize(answer));
}

config::Config with_demo_keys(config::Config config) {
  if (!config.demo) return config;
  if (config.jwt_secret.empty()) {
    config.jwt_secret = random_hex(32);
    spdlog::info("demo: tokens are signed with a secret made up for this run (set jwt_secret "
                 "to keep them valid across restarts)");
  }
  if (config.api_key.empty()) {
    config.api_key = random_hex(16);
    spdlog::warn("demo: the server API and the dashboard take the API key {} (made up for this "
                 "run: set api_key to choose one)",
                 config.api_key);
  }
  return config;
}

}  // namespace switchboard::node
