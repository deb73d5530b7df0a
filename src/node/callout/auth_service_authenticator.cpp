#include "auth_service_authenticator.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>
#include <utility>

#include "auth_answer.hpp"

namespace switchboard::node {
namespace {

namespace json = boost::json;
using auth::AuthError;
using auth::AuthResult;

AuthResult unavailable(std::string_view why) { return auth_answer::unavailable(why); }

// 401/403: the service's "error" or "message" string if it gave one, else the status.
AuthResult rejected(unsigned status, std::string_view body) {
  const std::string fallback =
      "auth service rejected the token (HTTP " + std::to_string(status) + ")";
  json::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    for (const char* key : {"error", "message"}) {
      const json::value* field = v.as_object().if_contains(key);
      if (field != nullptr && field->is_string() && !field->get_string().empty()) {
        return auth_answer::rejected(field->get_string(), fallback);
      }
    }
  }
  return auth_answer::rejected({}, fallback);
}

// "user_id" may be a non-empty string or an integer (seed 002's services answer numbers).
std::optional<std::string> user_id_of(const json::object& o) {
  const json::value* v = o.if_contains("user_id");
  if (v == nullptr) return std::nullopt;
  if (v->is_string() && !v->get_string().empty()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return std::nullopt;
}

// Optional fields: absent or null means "not given"; a present field of the wrong type makes
// the whole answer invalid rather than silently granting or dropping something.
bool read_channels(const json::object& o, auth::Identity& id) {
  const json::value* v = o.if_contains("channels");
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return false;
  for (const json::value& c : v->get_array()) {
    if (!c.is_string()) return false;
    id.channels.emplace_back(c.get_string());
  }
  return true;
}

bool read_expires_at(const json::object& o, auth::Identity& id) {
  const json::value* v = o.if_contains("expires_at");
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_number()) return false;
  json::error_code ec;
  const double seconds = v->to_number<double>(ec);
  if (ec) return false;
  id.expires_at = auth_answer::expiry(seconds);
  return id.expires_at.has_value();
}

bool read_info(const json::object& o, auth::Identity& id) {
  const json::value* v = o.if_contains("info");
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_object()) return false;
  id.info_json = json::serialize(*v);
  return true;
}

AuthResult identity_from(std::string_view body) {
  json::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return unavailable("its answer is not a JSON object");
  const json::object& o = v.get_object();
  auth::Identity id;
  auto user_id = user_id_of(o);
  if (!user_id) return unavailable("its answer has no user_id (string or integer)");
  id.user_id = std::move(*user_id);
  if (!read_channels(o, id)) return unavailable("its answer's channels is not an array of strings");
  if (!read_expires_at(o, id)) return unavailable("its answer's expires_at is not unix seconds");
  if (!read_info(o, id)) return unavailable("its answer's info is not an object");
  return AuthResult::ok(std::move(id));
}

// Maps post_json's outcome to an AuthResult, per the contract in the header.
AuthResult interpret(unsigned status, std::string_view body) {
  if (status == 0) return unavailable(body);  // body is post_json's failure detail
  if (status == 401 || status == 403) return rejected(status, body);
  if (status != 200) return unavailable("it answered HTTP " + std::to_string(status));
  return identity_from(body);
}

class AuthServiceAuthenticator final : public auth::Authenticator {
 public:
  explicit AuthServiceAuthenticator(Callout callout) : callout_(std::move(callout)) {}

  void authenticate(std::string_view token, boost::asio::io_context& io,
                    std::function<void(AuthResult)> done) override {
    json::object request;
    request["token"] = token;  // serialize escapes it
    post_json(io, callout_, json::serialize(request),
              [done = std::move(done), url = callout_.url](unsigned status, std::string body) {
                AuthResult result = interpret(status, body);
                // Rejections are the client's business; an unavailable service is the operator's.
                if (result.error == AuthError::service_unavailable) {
                  spdlog::warn("auth service {}: {}", url, result.message);
                }
                done(std::move(result));
              });
  }

 private:
  Callout callout_;
};

}  // namespace

std::unique_ptr<auth::Authenticator> make_auth_service_authenticator(Callout callout) {
  return std::make_unique<AuthServiceAuthenticator>(std::move(callout));
}

}  // namespace switchboard::node
