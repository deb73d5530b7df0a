#include "auth_answer.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>

#include "switchboard/ws/utf8.hpp"

namespace switchboard::node::auth_answer {
namespace {

// The service's own words reach the client in auth.error; keep them short.
constexpr std::size_t kMaxServiceMessage = 200;
// 9999-12-31T23:59:59Z: beyond it an expiry is nonsense, and the conversion would overflow.
constexpr double kMaxExpiresAt = 253402300799.0;

// Cuts valid UTF-8 `s` to at most `max` bytes without splitting a sequence (the client's text
// frame must stay UTF-8).
std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

}  // namespace

auth::AuthResult unavailable(std::string_view why) {
  return auth::AuthResult::fail(auth::AuthError::service_unavailable,
                                "auth service unavailable: " + std::string(why));
}

auth::AuthResult rejected(std::string_view words, std::string_view fallback) {
  const bool usable = !words.empty() && ws::is_valid_utf8(words);
  return auth::AuthResult::fail(auth::AuthError::service_rejected,
                                usable ? truncate_utf8(words, kMaxServiceMessage)
                                       : std::string(fallback));
}

std::optional<std::chrono::system_clock::time_point> expiry(double unix_seconds) {
  if (!(unix_seconds >= 0 && unix_seconds <= kMaxExpiresAt)) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<std::int64_t>(unix_seconds)));
}

std::optional<std::string> info_object(std::string_view json) {
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return boost::json::serialize(v);
}

}  // namespace switchboard::node::auth_answer
